package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// Audit is how the audit trail learns where requests come from.
type Audit struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header is believed
	// (LAGBOARD_TRUSTED_PROXIES). Empty: the connection's peer is the client.
	TrustedProxies []netip.Prefix
}

// EnvTrustedProxies lists the trusted reverse proxies, as comma-separated CIDRs.
const EnvTrustedProxies = "LAGBOARD_TRUSTED_PROXIES"

// loadAudit reads the audit variables into cfg.
func loadAudit(getenv func(string) string, cfg *Config) []error {
	proxies, err := ParseTrustedProxies(getenv(EnvTrustedProxies))
	if err != nil {
		return []error{fmt.Errorf("%s: %w", EnvTrustedProxies, err)}
	}
	cfg.Audit.TrustedProxies = proxies
	return nil
}

// ParseTrustedProxies parses comma-separated CIDRs such as 10.0.0.0/8,fd00::/8; a bare
// address stands for itself alone.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			ip, ierr := netip.ParseAddr(entry)
			if ierr != nil {
				return nil, fmt.Errorf("entry %d %q is not a CIDR such as 10.0.0.0/8 or an IP address", i+1, entry)
			}
			p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
