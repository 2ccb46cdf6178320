package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/provision"
)

func tenLinks(n int) []provision.Link {
	links := make([]provision.Link, n)
	for i := range links {
		links[i] = provision.Link{CompanyID: testCo, UserID: fmt.Sprintf("0f8e7a3c-%08d", i), EmployeeID: fmt.Sprintf("%08d", i)}
	}
	return links
}

// BenchmarkLinks10k writes and reads the links of a 10,000-person tenant.
func BenchmarkLinks10k(b *testing.B) {
	st, _ := newStore(b)
	ctx := context.Background()
	links := tenLinks(10_000)
	b.Run("PutLinks", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if err := st.PutLinks(ctx, fmt.Sprintf("bench-%d", i), links); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err := st.PutLinks(ctx, "read", links); err != nil {
		b.Fatal(err)
	}
	b.Run("Links", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := st.Links(ctx, "read", testCo)
			if err != nil || len(got) != len(links) {
				b.Fatalf("Links: %d %v", len(got), err)
			}
		}
	})
}

// BenchmarkConnectedTenants lists 10,000 connected tenants (a tenth backing
// off, a fifth with a schedule of their own) among 1,000 that are not
// connected.
func BenchmarkConnectedTenants(b *testing.B) {
	st, _ := newStore(b)
	ctx := context.Background()
	const connected, others = 10_000, 1_000
	reqs := make([]types.WriteRequest, 0, connected+others)
	for i := range connected + others {
		id := fmt.Sprintf("tenant-%05d", i)
		it := map[string]types.AttributeValue{
			attrPK: s(tenantPK(id)), attrSK: s(skProfile), attrTenantID: s(id),
			"status": s(string(Connected)), "companyId": s("CJ6"), "secretName": s("trinet-sync/" + id),
			"settings": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"massCreateMaxPercent": n(20)}},
		}
		if i < connected {
			it[attrShard] = s(shardOf(id))
			if i%10 == 0 {
				it[attrBackoffUntil] = s(fmtTime(testStart.Add(time.Hour)))
			}
			if i%5 == 1 {
				it[attrSchedEvery], it[attrSchedPaused] = n(60), &types.AttributeValueMemberBOOL{Value: i%25 == 1}
			}
		} else {
			it["status"] = s(string(NotConnected))
		}
		reqs = append(reqs, putReq(it))
	}
	if err := st.batchWrite(ctx, reqs, "bench tenants"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var count, backingOff, hourly, paused atomic.Int64
		err := st.ConnectedTenants(ctx, func(t Scheduled) error {
			count.Add(1)
			if !t.BackoffUntil.IsZero() {
				backingOff.Add(1)
			}
			if t.Every == time.Hour {
				hourly.Add(1)
			}
			if t.Paused {
				paused.Add(1)
			}
			return nil
		})
		if err != nil || count.Load() != connected || backingOff.Load() != connected/10 || hourly.Load() != connected/5 || paused.Load() != connected/25 {
			b.Fatalf("listed %d (%d backing off, %d hourly, %d paused), %v", count.Load(), backingOff.Load(), hourly.Load(), paused.Load(), err)
		}
	}
}
