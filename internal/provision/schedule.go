package provision

import (
	"strconv"
	"strings"
	"time"

	"trinetsync/internal/fault"
)

// The bounds of a tenant's schedule: the scheduler ticks every 10 minutes, so
// an interval is a whole number of ticks, and a tenant is synced at least
// once a day.
const (
	IntervalStep    = 10 * time.Minute
	DefaultInterval = IntervalStep
	MaxInterval     = 24 * time.Hour
)

// DefaultSchedule is the schedule of a tenant that never set one.
func DefaultSchedule() Schedule {
	return Schedule{Interval: FormatInterval(DefaultInterval)}
}

// ScheduleOf is the schedule in force of settings s (nil: never saved).
func ScheduleOf(s *Settings) Schedule {
	if s == nil || s.Schedule == nil {
		return DefaultSchedule()
	}
	sc := *s.Schedule
	if sc.Interval == "" {
		sc.Interval = FormatInterval(DefaultInterval)
	}
	return sc
}

// Every is the schedule's interval; DefaultInterval when unset or unreadable
// (a saved schedule was validated, so only a hand-edited item is).
func (sc Schedule) Every() time.Duration {
	d, err := ParseInterval(sc.Interval)
	if err != nil {
		return DefaultInterval
	}
	return d
}

// ParseInterval reads an interval as Go writes durations ("30m", "2h",
// "1h30m"): a positive multiple of 10 minutes, at most 24 hours.
func ParseInterval(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	switch {
	case err != nil:
		return 0, fault.Invalid("schedule.interval", "must be a duration such as 10m, 30m, 2h or 24h")
	case d <= 0 || d%IntervalStep != 0:
		return 0, fault.Invalid("schedule.interval", "must be a multiple of 10 minutes (10m, 20m, … 24h)")
	case d > MaxInterval:
		return 0, fault.Invalid("schedule.interval", "must be at most 24h")
	}
	return d, nil
}

// FormatInterval writes d the one way settings answer it: whole hours as
// "2h", the rest in minutes after them ("1h30m", "40m").
func FormatInterval(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	var b strings.Builder
	if h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m > 0 || h == 0 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	return b.String()
}

// validateSchedule checks a schedule to be saved; nil (none given) is fine.
func validateSchedule(sc *Schedule) error {
	if sc == nil || sc.Interval == "" {
		return nil
	}
	_, err := ParseInterval(sc.Interval)
	return err
}

// NormalizeSchedule is sc with its interval written as FormatInterval does
// (the default when empty); nil stays nil. sc must have passed validation.
func NormalizeSchedule(sc *Schedule) *Schedule {
	if sc == nil {
		return nil
	}
	out := *sc
	d, err := ParseInterval(sc.Interval)
	if err != nil {
		d = DefaultInterval
	}
	out.Interval = FormatInterval(d)
	return &out
}
