package namesrv

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// fixedBlackList are keys UPDATE_NAMESRV_CONFIG may never change, whatever
// configBlackList says: they locate the files the update itself writes.
var fixedBlackList = []string{"configBlackList", "configStorePath", "kvConfigPath", "rocketmqHome"}

// liveKeys take effect at once; every other key is stored and persisted
// but only used after a restart (listen address, pool sizes).
var liveKeys = map[string]bool{
	"orderMessageEnable": true, "returnOrderTopicConfigToBroker": true, "enableAllTopicList": true,
	"enableTopicList": true, "brokerChannelExpiredTime": true, "scanNotActiveBrokerInterval": true,
	"productEnvName": true,
}

func blackListed(cfg *config.Namesrv, key string) bool {
	for _, k := range fixedBlackList {
		if k == key {
			return true
		}
	}
	for _, k := range strings.Split(cfg.ConfigBlackList, ";") {
		if strings.TrimSpace(k) == key {
			return true
		}
	}
	return false
}

// updateConfig applies a properties text body to the configuration. It is
// all or nothing: a key in the black list answers NO_PERMISSION; an unknown
// key, a value of the wrong type or a value that fails validation answers
// SYSTEM_ERROR naming the key; otherwise the new configuration is written
// to configStorePath and only then takes effect.
func (s *Server) updateConfig(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	if len(req.Body) == 0 {
		return ok(req, nil), nil
	}
	// No environment lookup for ${} here: the result is readable over the
	// network with GET_NAMESRV_CONFIG.
	props, _, err := config.ParseProperties(req.Body, "UPDATE_NAMESRV_CONFIG body", config.ParseOptions{
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "string2Properties error: "+err.Error()), nil
	}

	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	next := *s.config()
	for _, e := range props.Entries {
		if blackListed(&next, e.Key) {
			return remoting.NewResponse(req, protocol.RespNoPermission, "Can not update config in black list."), nil
		}
	}
	var errs []error
	for _, e := range props.Entries {
		if err := config.Set(&next, e.Key, e.Value); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		errs = append(errs, next.Validate(), checkSupported(&next))
	}
	if err := errors.Join(errs...); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "update name server config: "+err.Error()), nil
	}
	// Encode, not Print: the persisted file must load back to the same values
	// even when one holds a '\' or a literal "${".
	var text bytes.Buffer
	if err := config.Encode(&text, &next); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(next.ConfigStorePath, text.Bytes()); err != nil {
		return nil, fmt.Errorf("persist name server config to %s: %w", next.ConfigStorePath, err)
	}
	s.cfg.Store(&next)
	for _, e := range props.Entries {
		if liveKeys[e.Key] {
			s.log.Info("name server config updated", "key", e.Key, "value", e.Value, "client", c.RemoteAddr())
		} else {
			s.log.Warn("name server config updated; takes effect after restart", "key", e.Key, "value", e.Value, "client", c.RemoteAddr())
		}
	}
	return ok(req, nil), nil
}

// getConfig answers the whole configuration as properties text.
func (s *Server) getConfig(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var text bytes.Buffer
	if err := config.Print(&text, s.config()); err != nil {
		return nil, err
	}
	return ok(req, text.Bytes()), nil
}
