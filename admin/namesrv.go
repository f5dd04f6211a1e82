package admin

import (
	"context"
	"fmt"
	"strings"
)

// Name server commands: KV config and the name servers' own config.

func namesrvCommands() []*Command {
	optNS := Option{Short: "s", Long: "namespace", Arg: true, Required: true, Usage: "set the namespace"}
	optKey := Option{Short: "k", Long: "key", Arg: true, Required: true, Usage: "set the key name"}
	return []*Command{
		{Name: "updateKvConfig", Desc: "Create or update KV config.", Run: runUpdateKvConfig, Options: []Option{
			optNS, optKey, {Short: "v", Long: "value", Arg: true, Required: true, Usage: "set the key value"},
		}},
		{Name: "deleteKvConfig", Desc: "Delete KV config.", Run: runDeleteKvConfig, Options: []Option{optNS, optKey}},
		{Name: "getNamesrvConfig", Desc: "Get configs of name server.", Run: runGetNamesrvConfig},
		{Name: "updateNamesrvConfig", Desc: "Update configs of name server.", Run: runUpdateNamesrvConfig, Options: []Option{
			{Short: "k", Long: "key", Arg: true, Required: true, Usage: "config key"},
			{Short: "v", Long: "value", Arg: true, Required: true, Usage: "config value"},
		}},
	}
}

func runUpdateKvConfig(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	if err := a.PutKVConfig(ctx, x.Str("s"), x.Str("k"), x.Str("v")); err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "create or update kv config to namespace success.\n")
	return nil
}

func runDeleteKvConfig(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	if err := a.DeleteKVConfig(ctx, x.Str("s"), x.Str("k")); err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "delete kv config from namespace success.\n")
	return nil
}

func runGetNamesrvConfig(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	for _, ns := range a.NameServers() {
		text, err := a.NameServerConfig(ctx, ns)
		if err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "============%s============\n", ns)
		printProperties(x, text)
	}
	return nil
}

func runUpdateNamesrvConfig(ctx context.Context, x *Exec) error {
	key, value := x.Str("k"), x.Str("v")
	if key == "" || strings.ContainsAny(key, "=:\n") || strings.Contains(value, "\n") {
		return fmt.Errorf("-k %q -v %q: a key is a non-empty name without '=', ':' or newlines, a value one line", key, value)
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	for _, ns := range a.NameServers() {
		if err := a.UpdateNameServerConfig(ctx, ns, []byte(key+"="+value+"\n")); err != nil {
			return err
		}
	}
	fmt.Fprintf(x.Out, "update name server config success!%v\n%s : %s\n", a.NameServers(), key, value)
	return nil
}
