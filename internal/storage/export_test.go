package storage

// ReadHourlyFromMinutes makes LagHistory read minute points for hourly buckets too, until
// the returned func is called.
func ReadHourlyFromMinutes() (restore func()) {
	hourlyReads = false
	return func() { hourlyReads = true }
}
