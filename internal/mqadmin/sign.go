package mqadmin

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"slices"
)

// Extension field names used by RocketMQ request signing.
const (
	extAccessKey     = "AccessKey"
	extSecurityToken = "SecurityToken"
	extSignature     = "Signature"
)

// signExtFields returns a copy of ext with AccessKey, SecurityToken (when set) and Signature
// added. The signature is Base64(HMAC-SHA1(secret, values of every other field sorted by key,
// then the body)), which both the 4.x ACL and 5.3 authentication verify. ext is not modified.
func signExtFields(ext map[string]string, body []byte, cred Credentials) map[string]string {
	out := make(map[string]string, len(ext)+3)
	maps.Copy(out, ext)
	out[extAccessKey] = cred.AccessKey
	if cred.SecurityToken != "" {
		out[extSecurityToken] = cred.SecurityToken
	}
	delete(out, extSignature)
	out[extSignature] = signature(out, body, cred.SecretKey)
	return out
}

// signature computes the request signature over ext (minus any Signature field) and body.
// Keys sort by byte order, which equals Java's TreeMap order for the ASCII keys in use.
func signature(ext map[string]string, body []byte, secretKey string) string {
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, k := range slices.Sorted(maps.Keys(ext)) {
		if k == extSignature {
			continue
		}
		mac.Write([]byte(ext[k]))
	}
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
