package leapsome

import "time"

// Everything this client knows about Leapsome's two APIs, in one place. Tags:
// [src] Leapsome's published OpenAPI documents (Content API 1.0.1, SCIM API
// 1.1.3) as condensed by the project's Leapsome API profile
// (docs/leapsome-api.md); [assume] our assumption where the documents are
// silent.

// Content API [src].
const (
	pathToken         = "/token"          // [src] GET, no auth, ?secret=<API secret>
	pathEmployees     = "/employees"      // [src] GET ?page&pageSize
	pathWorkLocations = "/work-locations" // [src] GET ?page&pageSize

	paramSecret   = "secret"   // [src]
	paramPage     = "page"     // [src] starts at 1
	paramPageSize = "pageSize" // [src] 1..1000

	// contentPageSize is the largest page the documents allow [src].
	contentPageSize = 1000
	// contentFirstPage: pages count from 1 [src].
	contentFirstPage = 1

	// defaultContentRPS: "a maximum of 20 requests per second" [src].
	defaultContentRPS = 20.0
)

// SCIM API [src].
const (
	pathSCIMUsers = "/Users" // [src] GET ?startIndex&count

	paramStartIndex = "startIndex" // [src] 1-based
	paramCount      = "count"      // [src] 0..5000

	// scimPageSize is the most users one SCIM page may hold [src].
	scimPageSize = 5000
	// scimFirstIndex: startIndex counts from 1 [src].
	scimFirstIndex = 1

	// scimEnterpriseKey is the key of the enterprise extension object in a
	// SCIM User [src]; birthday, gender and employmentType live under it.
	scimEnterpriseKey = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	// defaultSCIMRPS: "a maximum of 30 requests per second" [src].
	defaultSCIMRPS = 30.0
)

// Credential fields, as the service's API names them in errors
// [src: docs/behaviour.md].
const (
	fieldAPISecret = "leapsome.apiSecret"
	fieldSCIMToken = "leapsome.scimToken"
	fieldBaseURL   = "leapsome.baseUrl"
	fieldSCIMURL   = "leapsome.scimUrl"
)

// Token lifetime and renewal.
const (
	// defaultTokenTTL is used when /token answers without a usable expiresIn
	// [assume]; the documents give 18000 s as the example value [src], we
	// pick a shorter lifetime so that a wrong guess costs one extra exchange.
	defaultTokenTTL = 30 * time.Minute
	// tokenRenewMargin: a token is renewed when less than this (or a tenth of
	// its lifetime, whichever is smaller) is left [assume], so that a call
	// never starts with a token about to expire on the way.
	tokenRenewMargin = time.Minute
)

// Retry policy defaults [assume]: the documents say only "429 beyond the
// limit". Retry-After is not documented [src]; it is honoured when present, in
// seconds or as an HTTP date [assume].
const (
	defaultMaxRetries = 6
	minMaxRetries     = 5
	defaultBaseDelay  = 500 * time.Millisecond
	defaultMaxDelay   = 20 * time.Second
	defaultMaxElapsed = 2 * time.Minute
	defaultTimeout    = 60 * time.Second
)

// Paging guards [assume]: a server that never ends is cut off here.
const (
	// maxPages bounds one listing: 10,000 pages of 1000 people is far beyond
	// any tenant, so reaching it means the server does not page as documented.
	maxPages = 10000
	// maxBodyBytes bounds one response: a page of 1000 employees is a few MB.
	maxBodyBytes = 64 << 20
	// pagesAtOnce bounds the pages of one list fetched at once once a total
	// says how many are left: with the token, the first page and the work
	// locations, within one second's budget of the Content API (20), so that
	// a 17,000-person list is read in two round trips and a longer one is
	// paced by the API's limit, not by round trips. It also bounds the
	// decoded pages a listing holds before it keeps them.
	pagesAtOnce = 16
)

// What the client assumes about Leapsome's data. The code that acts on each
// is in wire.go and client.go; the list is here so that it can be reviewed
// in one place.
//
//   - [src] customAttributes is a free-form object. [assume] Its keys are the
//     attribute names as the admin typed them; values are strings, numbers,
//     booleans or null. Numbers are kept as sent, an exponent written out
//     ("4e1" → "40"); booleans become "true"/"false"; null is left out.
//     Objects and arrays are not expected: the attribute is left out and its
//     key logged.
//   - [assume] SCIM User.id is the Content API's Employee.id; SCIM users are
//     merged into people by it, and a person without a SCIM user has SCIM nil.
//     SCIM users with no Content API person are ignored.
//   - [src] fields not marked nullable are left out when empty. [assume] The
//     client reads absent and null alike, for every field.
//   - [assume] A record without a usable id (or not an object) is skipped
//     and counted in a warning; a field of an unexpected type is read as
//     absent (never written to TriNet) and named in a warning; the rest of
//     the person is kept. A page whose envelope does not parse fails the
//     whole read with fault.Transient naming the call, never quoting the body.
//   - [assume] Offset paging can repeat a record when the list changes while
//     it is read: the first copy of an id is kept.
//   - [assume] A listing ends at an empty page, when meta.totalCount (SCIM:
//     totalResults) records have been read, or, without a total, at a page
//     shorter than the page size; a SCIM list may leave out Resources when
//     totalResults is 0 (RFC 7644).
//   - [src] SCIM answers 403 for a bad token and lists 401 too: both mean
//     the SCIM token is rejected (fault.Auth naming leapsome.scimToken). A
//     Content API 401 after one token renewal means the API secret is
//     rejected (fault.Auth naming leapsome.apiSecret).
//   - [assume] SCIM "active" may arrive as a string ("True"); it is parsed.
//   - [assume] expiresIn may arrive as a string; see defaultTokenTTL.
