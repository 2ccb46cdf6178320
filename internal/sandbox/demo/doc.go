// Package demo owns the demo company: one consistent data set seeded into both
// sandboxes (Leapsome and TriNet) so that a first sync shows every kind of
// outcome the service has: people linked by email and updated field by field,
// new hires created (or suggested), and each awkward case of the product
// article and the contract (a gender TriNet cannot take, a start date too old,
// future starters, terminations, a removed account, a missing or shared email,
// an email held only by a terminated TriNet employee, a department TriNet
// lacks, a phone number in national format).
//
// The data are deterministic: dates are relative to the now given to Seed
// and nothing is random, so the same call gives the same ids and values.
package demo
