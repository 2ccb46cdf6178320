package queue

import (
	"errors"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
)

// classify wraps an SQS error in the fault class that decides what a caller
// does about it.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fault.Wrap(classOf(err), err, format, args...)
}

func classOf(err error) fault.Class {
	var api smithy.APIError
	if !errors.As(err, &api) {
		// Network failures, timeouts and cancelled contexts.
		return fault.Transient
	}
	return classOfCode(api.ErrorCode(), api.ErrorFault(), statusOf(err))
}

func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// classOfCode classifies by error code first, then by HTTP status and fault
// side. AWS and goaws spell some codes differently (QueueDoesNotExist vs
// AWS.SimpleQueueService.NonExistentQueue), so only the code's last
// dot-separated part is matched.
func classOfCode(code string, f smithy.ErrorFault, status int) fault.Class {
	c := code
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		c = c[i+1:]
	}
	switch c {
	case "RequestThrottled", "ThrottlingException", "Throttling", "KmsThrottled", "OverLimit":
		return fault.Throttled
	case "QueueDoesNotExist", "NonExistentQueue":
		return fault.NotFound
	case "AccessDenied", "AccessDeniedException", "KmsAccessDenied", "KmsDisabled", "InvalidSecurity":
		return fault.Forbidden
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken":
		return fault.Auth
	case "InvalidParameterValue", "InvalidAttributeValue", "InvalidMessageContents", "MissingParameter",
		"BatchEntryIdsNotDistinct", "EmptyBatchRequest", "TooManyEntriesInBatchRequest", "BatchRequestTooLong",
		"InvalidBatchEntryId", "UnsupportedOperation", "ValidationError", "MessageTooBig":
		return fault.Validation
	case "InternalError", "InternalFailure", "ServiceUnavailable":
		return fault.Transient
	}
	if status >= 500 || f == smithy.FaultServer {
		return fault.Transient
	}
	if status == 429 {
		return fault.Throttled
	}
	if f == smithy.FaultClient || (status >= 400 && status < 500) {
		return fault.Validation
	}
	return fault.Transient
}
