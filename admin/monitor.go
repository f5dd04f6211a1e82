package admin

// monitorCommands: startMonitoring (not built yet).
func monitorCommands() []*Command { return nil }
