package provision

import (
	"fmt"
	"slices"
	"strings"

	"trinetsync/internal/fault"
)

// DefaultMassCreateMaxPercent is the brake's default threshold.
const DefaultMassCreateMaxPercent = 20

// Limits on a value map, so saved settings stay small enough for one store item.
const (
	maxValueMapEntries = 500
	maxValueMapText    = 256
	maxConstText       = 256
)

// DefaultSettings are the settings of a tenant that never saved any: every
// target's default source from the catalog (the SCIM ones only with SCIM),
// auto-create off, the brake at 20 %.
func DefaultSettings(scim bool) Settings {
	s := Settings{MassCreateMaxPercent: DefaultMassCreateMaxPercent}
	for _, t := range catalog {
		if t.DefaultSource == "" || (!scim && isSCIMSource(t.DefaultSource)) {
			continue
		}
		s.Mappings = append(s.Mappings, Mapping{Target: t.Target, Source: t.DefaultSource})
	}
	return s
}

func isSCIMSource(src string) bool { return strings.HasPrefix(src, scimPrefix) }

// ValidateSettings checks settings before they are saved. Every rejection is a
// fault.Validation error naming the field as a JSON path of the settings body.
func ValidateSettings(s Settings, scim bool) error {
	if s.MassCreateMaxPercent < 0 || s.MassCreateMaxPercent > 100 {
		return fault.Invalid("massCreateMaxPercent", "must be between 0 and 100")
	}
	if err := validateSchedule(s.Schedule); err != nil {
		return err
	}
	seen := make(map[string]int, len(s.Mappings))
	for i, m := range s.Mappings {
		at := fmt.Sprintf("mappings[%d]", i)
		t, ok := targetIndex[m.Target]
		switch {
		case m.Target == "":
			return fault.Invalid(at+".target", "is required")
		case !ok:
			return fault.Invalid(at+".target", "unknown target %q; GET /v1/fields lists the targets", m.Target)
		}
		if j, dup := seen[m.Target]; dup {
			return fault.Invalid(at+".target", "%s is already mapped by mappings[%d]; map each target once", m.Target, j)
		}
		seen[m.Target] = i
		if err := validateSource(at, t, m, scim); err != nil {
			return err
		}
		if err := validateValueMap(at, t, m.ValueMap); err != nil {
			return err
		}
	}
	for _, t := range catalog {
		if _, ok := seen[t.Target]; t.Required && !ok {
			return fault.Invalid("mappings", "%s is required and cannot be removed", t.Target)
		}
	}
	return nil
}

func validateSource(at string, t *Target, m Mapping, scim bool) error {
	field := at + ".source"
	src := m.Source
	switch {
	case strings.TrimSpace(src) == "":
		if t.Required {
			return fault.Invalid(field, "%s is required and needs a source", t.Target)
		}
		return fault.Invalid(field, "is required; leave the target out to stop syncing it")
	case strings.HasPrefix(src, SourceCustomPrefix):
		if strings.TrimSpace(strings.TrimPrefix(src, SourceCustomPrefix)) == "" {
			return fault.Invalid(field, "customAttributes needs the attribute's name, e.g. customAttributes.Employee type")
		}
	case strings.HasPrefix(src, SourceConstPrefix):
		v := strings.TrimPrefix(src, SourceConstPrefix)
		if strings.TrimSpace(v) == "" {
			// A blank value is never written, so a blank constant would be a mapping that does nothing.
			return fault.Invalid(field, "const: needs a value, e.g. const:F")
		}
		if len(v) > maxConstText {
			return fault.Invalid(field, "the constant is longer than %d characters", maxConstText)
		}
	case !slices.Contains(sources, src): // the prefixed sources were handled above
		return fault.Invalid(field, "unknown source %q; GET /v1/fields lists the sources", src)
	case isSCIMSource(src) && !scim:
		return fault.Invalid(field, "%s needs a Leapsome SCIM token; connect one first", src)
	}
	// The supervisor is a TriNet employee id found through the manager's link, so
	// only the manager source can feed it, and the manager source feeds nothing else.
	if t.kind == kindSupervisor && src != SourceManager {
		return fault.Invalid(field, "supervisor can only be mapped from manager")
	}
	if t.kind != kindSupervisor && src == SourceManager {
		return fault.Invalid(field, "manager can only be mapped to supervisor")
	}
	if t.kind == kindSupervisor && len(m.ValueMap) > 0 {
		return fault.Invalid(at+".valueMap", "supervisor takes no value map")
	}
	if strings.HasPrefix(src, SourceConstPrefix) && len(t.Codes) > 0 {
		raw := applyValueMap(strings.TrimPrefix(src, SourceConstPrefix), m.ValueMap)
		// A constant mapped to "" writes nothing; any other must be a code (a
		// gender other than male or female has none, and would fail every person).
		if v := codeOf(t, raw); strings.TrimSpace(raw) != "" && !slices.Contains(t.Codes, v) {
			return fault.Invalid(field, "%s takes one of %s", t.Target, strings.Join(t.Codes, ", "))
		}
	}
	return nil
}

func validateValueMap(at string, t *Target, vm map[string]string) error {
	field := at + ".valueMap"
	if len(vm) > maxValueMapEntries {
		return fault.Invalid(field, "has more than %d entries", maxValueMapEntries)
	}
	folded := make(map[string]string, len(vm))
	for k, v := range vm {
		switch {
		case strings.TrimSpace(k) == "":
			return fault.Invalid(field, "has an empty key")
		case len(k) > maxValueMapText || len(v) > maxValueMapText:
			return fault.Invalid(field, "entry %q is longer than %d characters", clip(k), maxValueMapText)
		}
		fk := strings.ToLower(strings.TrimSpace(k))
		if prev, ok := folded[fk]; ok && prev != v {
			return fault.Invalid(field, "keys that differ only in case or spaces map %q to different values", clip(k))
		}
		folded[fk] = v
		// A blank value means "do not write this value"; anything else must be a
		// value the target takes, so the mistake shows on save, not on every run.
		if strings.TrimSpace(v) == "" || len(t.Codes) == 0 {
			continue
		}
		if !slices.Contains(t.Codes, codeOf(t, v)) {
			return fault.Invalid(field, "%q maps to %q; %s takes one of %s", clip(k), clip(v), t.Target, strings.Join(t.Codes, ", "))
		}
	}
	return nil
}

// codeOf is the code a saved value stands for, as the planner will read it:
// upper-case, and for gender Leapsome's words mapped to TriNet's codes ("" when
// not one of them).
func codeOf(t *Target, v string) string {
	c := strings.ToUpper(strings.TrimSpace(v))
	if t.kind == kindGender {
		c, _ = genderCode(c)
	}
	return c
}

// clip shortens a value quoted in a message.
func clip(s string) string { return Shorten(s, 40) }

// EffectiveSettings are the settings a run uses: the defaults when none were
// saved; otherwise the saved ones without SCIM mappings when SCIM is gone, with
// a tenant-level scim_unavailable warning. A required target whose SCIM source
// was dropped falls back to its default source, so names are always synced.
func EffectiveSettings(saved *Settings, scim bool) (Settings, []Issue) {
	if saved == nil {
		return DefaultSettings(scim), nil
	}
	out := *saved
	out.Mappings = make([]Mapping, 0, len(saved.Mappings))
	var dropped []string
	for _, m := range saved.Mappings {
		if isSCIMSource(m.Source) && !scim {
			t := targetIndex[m.Target]
			if t != nil && t.Required {
				out.Mappings = append(out.Mappings, Mapping{Target: m.Target, Source: t.DefaultSource})
			}
			dropped = append(dropped, m.Target)
			continue
		}
		out.Mappings = append(out.Mappings, m)
	}
	if len(dropped) == 0 {
		return out, nil
	}
	return out, []Issue{{
		Severity: SeverityOf(CodeSCIMUnavailable),
		Code:     CodeSCIMUnavailable,
		Field:    strings.Join(dropped, ","),
		Message: "The connection has no Leapsome SCIM token, so " + strings.Join(dropped, ", ") +
			" cannot be read and was not synced. Reconnect with a SCIM token or change the field mapping.",
	}}
}
