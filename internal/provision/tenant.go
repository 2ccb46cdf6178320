package provision

import "regexp"

// TenantIDPattern is the form of a tenant id. A tenant id names DynamoDB keys,
// a secret and queue messages, so every edge refuses anything else before it
// reaches one of them.
var TenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
