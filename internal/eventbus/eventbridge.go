package eventbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
)

// PutEventsAPI is the part of EventBridge the adapter calls;
// *eventbridge.Client implements it.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// maxEntries is EventBridge's limit of entries per PutEvents call.
const maxEntries = 10

// EventBridge puts events on one bus.
type EventBridge struct {
	api PutEventsAPI
	bus string
}

// NewEventBridge returns an adapter putting events on the bus named bus
// (a name or an ARN).
func NewEventBridge(api PutEventsAPI, bus string) *EventBridge {
	return &EventBridge{api: api, bus: bus}
}

// Publish puts the events on the bus, ten a call. Entries EventBridge
// refuses are reported together, with their error codes; the SDK has
// already retried what it retries. Throttling is fault.Throttled, a
// request refused on its merits (permissions, a bus that does not exist,
// a bad entry) fault.Internal, anything else fault.Transient.
func (b *EventBridge) Publish(ctx context.Context, events ...Event) error {
	var failed []error
	for start := 0; start < len(events); start += maxEntries {
		batch := events[start:min(start+maxEntries, len(events))]
		entries := make([]types.PutEventsRequestEntry, 0, len(batch))
		for _, e := range batch {
			detail, err := e.DetailJSON()
			if err != nil {
				return fault.Wrap(fault.Internal, err, "eventbus: encode %s", e.DetailType)
			}
			at := e.Time
			if at.IsZero() {
				at = time.Now()
			}
			entries = append(entries, types.PutEventsRequestEntry{
				EventBusName: aws.String(b.bus), Source: aws.String(Source),
				DetailType: aws.String(e.DetailType), Detail: aws.String(string(detail)), Time: aws.Time(at.UTC()),
			})
		}
		out, err := b.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return classify(err, len(batch))
		}
		if out.FailedEntryCount == 0 {
			continue
		}
		for i, r := range out.Entries {
			if r.ErrorCode == nil || i >= len(batch) {
				continue
			}
			failed = append(failed, fmt.Errorf("%s for tenant %s: %s", batch[i].DetailType, batch[i].TenantID(), aws.ToString(r.ErrorCode)))
		}
	}
	if len(failed) > 0 {
		return fault.Wrap(fault.Transient, errors.Join(failed...), "eventbus: %d of %d events refused", len(failed), len(events))
	}
	return nil
}

func classify(err error, n int) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ThrottlingException", "LimitExceededException":
			return fault.Wrap(fault.Throttled, err, "eventbus: put %d events", n)
		case "AccessDeniedException", "ResourceNotFoundException", "ValidationException",
			"UnrecognizedClientException", "NotAuthorizedException":
			return fault.Wrap(fault.Internal, err, "eventbus: put %d events", n)
		}
	}
	return fault.Wrap(fault.Transient, err, "eventbus: put %d events", n)
}
