package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:         "adyen-notification-hmac",
		BodyUnsigned: true,
		Aliases:      []string{"adyen"},
		Scheme:       "hmac-sha256",
		Description: "Adyen standard notifications: additionalData.hmacSignature of each item, base64 HMAC over " +
			"pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success, hex key (the rest of the body is NOT signed)",
		// No single field identifies an event: a payment's pspReference
		// recurs across its AUTHORISATION, CAPTURE, REFUND... Events are
		// identified by the body's hash, which Adyen's retries repeat.
		EventType: []string{"notificationItems.0.NotificationRequestItem.eventCode"},
		New:       newWith(newAdyenNotification),
		Sign:      signWith(newAdyenNotification),
	})
	register(bodyMAC{
		name: "adyen-payload-hmac", header: "HmacSignature", hash: sha256.New, enc: encBase64, key: adyenKey,
		desc:      "Adyen platform and management webhooks: HmacSignature base64 HMAC over the body, hex key",
		eventType: []string{"type"},
	}.preset())
}

// adyenKey hex-decodes an Adyen HMAC key; the message never quotes it.
func adyenKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("is not a hex HMAC key")
	}
	return k, nil
}

// adyenNotification checks Adyen's standard notifications: each
// NotificationRequestItem carries in additionalData.hmacSignature a base64
// HMAC-SHA256 of eight of its fields joined with colons, keyed with the
// hex-decoded HMAC key. Every item of a batch must be signed with the same
// key. The raw body is not signed: only those fields are authentic. It is
// safe for concurrent use.
type adyenNotification struct {
	macs *macSet
}

var _ Verifier = (*adyenNotification)(nil)

func newAdyenNotification(o Options) (*adyenNotification, error) {
	keys, err := parseSecrets("adyen-notification-hmac", o.Secrets, adyenKey)
	if err != nil {
		return nil, err
	}
	return &adyenNotification{macs: newMACSet(keys, sha256.New)}, nil
}

// adyenSigned names the signed fields in signing order, as paths in a
// NotificationRequestItem.
var adyenSigned = [...]string{"pspReference", "originalReference", "merchantAccountCode", "merchantReference",
	"amount.value", "amount.currency", "eventCode", "success"}

// adyenItem is one NotificationRequestItem's signed fields, in adyenSigned
// order, and its signature.
type adyenItem struct {
	fields [len(adyenSigned)]string
	sig    string
	hasSig bool
}

// write feeds st the signed content: the signed fields joined with colons;
// an absent field is empty, as in Adyen's libraries.
func (it *adyenItem) write(st *macState) {
	st.buf = st.buf[:0]
	for i, f := range it.fields {
		if i > 0 {
			st.buf = append(st.buf, ':')
		}
		st.buf = append(st.buf, f...)
	}
	st.h.Write(st.buf)
}

// parseAdyen reads the items of a notification. Field values may be
// strings, numbers or booleans and are taken as written. A repeated key on
// the path to a signed field is an error (see jsonReader.object). Its errors are
// plain details for the caller to wrap.
func parseAdyen(body []byte) ([]adyenItem, error) {
	var items []adyenItem
	found := false
	r := jsonReader{b: body}
	err := r.object(func(key []byte) (bool, error) {
		if string(key) != "notificationItems" {
			return false, nil
		}
		found = true
		return true, r.array(func(int) error {
			var it adyenItem
			err := r.object(func(key []byte) (bool, error) {
				if string(key) != "NotificationRequestItem" {
					return false, nil
				}
				return true, parseAdyenItem(&r, &it)
			})
			items = append(items, it)
			return err
		})
	})
	if err == nil {
		err = r.end()
	}
	if err == nil && !found {
		err = errors.New("no notificationItems")
	}
	return items, err
}

func parseAdyenItem(r *jsonReader, it *adyenItem) error {
	return r.object(func(key []byte) (bool, error) {
		switch string(key) {
		case "amount":
			return true, r.object(func(key []byte) (bool, error) {
				for i, f := range adyenSigned {
					if sub, ok := strings.CutPrefix(f, "amount."); ok && sub == string(key) {
						var err error
						it.fields[i], err = r.scalar()
						return true, err
					}
				}
				return false, nil
			})
		case "additionalData":
			return true, r.object(func(key []byte) (bool, error) {
				if string(key) != "hmacSignature" {
					return false, nil
				}
				var err error
				it.sig, err = r.scalar()
				it.hasSig = true
				return true, err
			})
		}
		for i, f := range adyenSigned {
			if f == string(key) {
				var err error
				it.fields[i], err = r.scalar()
				return true, err
			}
		}
		return false, nil
	})
}

// Verify implements Verifier. A notification without items, or an item
// without a signature, is ErrNoSignature.
func (v *adyenNotification) Verify(r *Request, _ time.Time) (Result, error) {
	items, err := parseAdyen(r.Body)
	if err != nil {
		return Result{}, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	}
	if len(items) == 0 {
		return Result{}, fmt.Errorf("body field notificationItems: empty: %w", ErrNoSignature)
	}
	sigs := make([][sha256.Size]byte, len(items))
	for i := range items {
		const field = "additionalData.hmacSignature"
		switch {
		case !items[i].hasSig || items[i].sig == "":
			return Result{}, fmt.Errorf("body field notificationItems[%d] %s: %w", i, field, ErrNoSignature)
		case !decodeMAC(sigs[i][:], items[i].sig, encBase64):
			return Result{}, fmt.Errorf("body field notificationItems[%d] %s: not a base64 SHA-256 MAC: %w", i, field, ErrMalformed)
		}
	}
	k := v.macs.find(func(st *macState) bool {
		for i := range items {
			st.reset()
			items[i].write(st)
			if !hmac.Equal(st.sum(), sigs[i][:]) {
				return false
			}
		}
		return true
	})
	if k < 0 {
		return Result{}, fmt.Errorf("body field notificationItems[*] additionalData.hmacSignature: the items do not all match one of %d secrets: %w", len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: k}, nil
}

// sign sets additionalData.hmacSignature of every item of r.Body, which
// must be an Adyen notification, with the first secret. It re-encodes the
// body, with keys sorted; the body is not signed, so that is harmless.
func (v *adyenNotification) sign(r *Request, _ time.Time) error {
	var n map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		return fmt.Errorf("adyen-notification-hmac: the body to sign is not a JSON object: %v", err)
	}
	items, ok := n["notificationItems"].([]any)
	if !ok || len(items) == 0 {
		return errors.New("adyen-notification-hmac: the body to sign has no notificationItems")
	}
	for i, item := range items {
		w, _ := item.(map[string]any)
		nri, ok := w["NotificationRequestItem"].(map[string]any)
		if !ok {
			return fmt.Errorf("adyen-notification-hmac: notificationItems[%d] has no NotificationRequestItem", i)
		}
		var it adyenItem
		for j, f := range adyenSigned {
			obj := nri
			if sub, ok := strings.CutPrefix(f, "amount."); ok {
				obj, _ = nri["amount"].(map[string]any)
				f = sub
			}
			switch x := obj[f].(type) {
			case string:
				it.fields[j] = x
			case json.Number:
				it.fields[j] = x.String()
			case bool:
				it.fields[j] = strconv.FormatBool(x)
			}
		}
		ad, ok := nri["additionalData"].(map[string]any)
		if !ok {
			ad = map[string]any{}
			nri["additionalData"] = ad
		}
		ad["hmacSignature"] = v.macs.mac(0, encBase64, it.write)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n); err != nil {
		return fmt.Errorf("adyen-notification-hmac: %v", err)
	}
	r.Body = bytes.TrimSuffix(out.Bytes(), []byte("\n"))
	return nil
}
