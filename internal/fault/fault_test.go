package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassification(t *testing.T) {
	base := Invalid("biographicalInfo.gender", "must be M or F")
	wrapped := fmt.Errorf("hire person 42: %w", base)

	tests := []struct {
		name      string
		err       error
		is        error
		want      bool
		class     Class
		field     string
		retryable bool
	}{
		{"validation wrapped", wrapped, ErrValidation, true, Validation, "biographicalInfo.gender", false},
		{"validation is not conflict", wrapped, ErrConflict, false, Validation, "biographicalInfo.gender", false},
		{"transient", Wrap(Transient, errors.New("EOF"), "list employees"), ErrTransient, true, Transient, "", true},
		{"throttled", New(Throttled, "429"), ErrThrottled, true, Throttled, "", true},
		{"outcome unknown not retryable", New(OutcomeUnknown, "hire"), ErrOutcomeUnknown, true, OutcomeUnknown, "", false},
		{"revoked", fmt.Errorf("read secret: %w", New(CredentialsRevoked, "gone")), ErrCredentialsRevoked, true, CredentialsRevoked, "", false},
		{"internal is not retried", Wrap(Internal, errors.New("AccessDeniedException"), "read secret"), ErrInternal, true, Internal, "", false},
		{"internal is not validation", New(Internal, "quota"), ErrValidation, false, Internal, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.is); got != tt.want {
				t.Fatalf("errors.Is = %v, want %v", got, tt.want)
			}
			c, ok := ClassOf(tt.err)
			if !ok || c != tt.class {
				t.Fatalf("ClassOf = %v %v, want %v", c, ok, tt.class)
			}
			if f := FieldOf(tt.err); f != tt.field {
				t.Fatalf("FieldOf = %q, want %q", f, tt.field)
			}
			if r := Retryable(tt.err); r != tt.retryable {
				t.Fatalf("Retryable = %v, want %v", r, tt.retryable)
			}
		})
	}
}

func TestWrapNil(t *testing.T) {
	if Wrap(Transient, nil, "x") != nil {
		t.Fatal("Wrap(nil) must be nil")
	}
	if _, ok := ClassOf(errors.New("plain")); ok {
		t.Fatal("plain error has no class")
	}
}

func TestMessageNamesField(t *testing.T) {
	err := Invalid("mappings[2].source", "unknown source %q", "foo")
	if got, want := err.Error(), `mappings[2].source: unknown source "foo"`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
