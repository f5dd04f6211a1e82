package admin

// commands lists every command mqadmin knows, in the order the command
// list prints them.
func commands() []*Command {
	var all []*Command
	for _, group := range [][]*Command{
		topicCommands(), clusterCommands(), messageCommands(), consumerCommands(), offsetCommands(), namesrvCommands(), exportCommands(), sendProbeCommands(), statsCommands(), monitorCommands(),
	} {
		all = append(all, group...)
	}
	return all
}
