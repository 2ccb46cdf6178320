// Package provision is the sync engine: it decides, for one tenant, what to write
// to TriNet from the people in Leapsome, and writes it person by person with an
// exact account of what happened.
//
// It owns the field catalog, tenant settings and their validation, the value
// transforms, the scope rules, linking, planning, applying, the hire ledger's
// state machine and the per-person issues. It knows nothing of AWS or HTTP: it
// reads and writes through the small interfaces declared in ports.go, which the
// TriNet and Leapsome clients and the DynamoDB store implement.
package provision
