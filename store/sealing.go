package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"confidant/enclave/keys"
	"confidant/enclave/seal"
)

// userKey is an unwrapped data key, prepared for sealing, with the user it
// belongs to.
type userKey struct {
	userID uuid.UUID
	key    *seal.Key
	index  []byte // the user's blind-index key
}

// seal encrypts one column value of one row for the user.
func (k userKey) seal(table, column string, rowID any, plaintext string) ([]byte, error) {
	out, err := k.key.Seal(k.aad(table, column, rowID), []byte(plaintext))
	if err != nil {
		return nil, fmt.Errorf("seal %s.%s: %w", table, column, err)
	}
	return out, nil
}

// open decrypts one column value; a value moved from another row, column or
// user fails here.
func (k userKey) open(table, column string, rowID any, sealed []byte) (string, error) {
	out, err := k.key.Open(k.aad(table, column, rowID), sealed)
	if err != nil {
		return "", fmt.Errorf("open %s.%s: %w", table, column, err)
	}
	return string(out), nil
}

func (k userKey) aad(table, column string, rowID any) seal.AAD {
	return seal.AAD{UserID: k.userID.String(), Table: table, Column: column, RowID: fmt.Sprint(rowID)}
}

// appSeal seals data that belongs to no user yet under the app key.
func (s *Store) appSeal(table, column string, rowID uuid.UUID, plaintext []byte) ([]byte, error) {
	return seal.Seal(s.keys.AppKey(), seal.AAD{UserID: "-", Table: table, Column: column, RowID: rowID.String()}, plaintext)
}

func (s *Store) appOpen(table, column string, rowID uuid.UUID, sealed []byte) ([]byte, error) {
	return seal.Open(s.keys.AppKey(), seal.AAD{UserID: "-", Table: table, Column: column, RowID: rowID.String()}, sealed)
}

// newUserKey makes a data key for a new user, wrapped under KEK version v.
func (s *Store) newUserKey(userID uuid.UUID, version uint32) (userKey, []byte, error) {
	dek, err := keys.NewDEK()
	if err != nil {
		return userKey{}, nil, err
	}
	wrapped, err := s.keys.WrapDEKWithVersion(keys.UserID(userID), dek, version)
	if err != nil {
		return userKey{}, nil, err
	}
	key, err := seal.NewKey(dek)
	if err != nil {
		return userKey{}, nil, err
	}
	return userKey{userID: userID, key: key, index: s.keys.BlindIndexKey(keys.UserID(userID))}, wrapped, nil
}

// unwrap returns the user's data key from its wrapped form, through the
// enclave's tombstone check.
func (s *Store) unwrap(ctx context.Context, userID uuid.UUID, wrapped []byte) (userKey, error) {
	if e, ok := s.deks.get(userID, wrapped); ok {
		if err := s.checkTombstone(ctx, userID, e.tomb); err != nil {
			return userKey{}, err
		}
		return userKey{userID: userID, key: e.key, index: e.index}, nil
	}
	dek, err := s.keys.UnwrapDEK(ctx, s.tombs, keys.UserID(userID), wrapped)
	if err != nil {
		return userKey{}, fmt.Errorf("unwrap data key: %w", err)
	}
	key, err := seal.NewKey(dek)
	if err != nil {
		return userKey{}, err
	}
	e := s.dekEntry(userID, wrapped, key)
	s.deks.put(userID, e)
	return userKey{userID: userID, key: key, index: e.index}, nil
}

// dekEntry is what the cache keeps of a user's unwrapped data key.
func (s *Store) dekEntry(userID uuid.UUID, wrapped []byte, key *seal.Key) cachedDEK {
	return cachedDEK{wrapped: string(wrapped), key: key,
		tomb: s.keys.TombstoneID(keys.UserID(userID)), index: s.keys.BlindIndexKey(keys.UserID(userID))}
}

// checkTombstone refuses a deleted user's key even when it is cached;
// tomb is the user's tombstone id (TombstoneID), kept with the cached key.
func (s *Store) checkTombstone(ctx context.Context, userID uuid.UUID, tomb []byte) error {
	deleted, err := s.tombs.IsTombstoned(ctx, tomb)
	if err != nil || deleted {
		s.deks.drop(userID)
		return fmt.Errorf("unwrap data key: %w", keys.ErrUserDeleted)
	}
	return nil
}

// keyFor returns the user's data key: from the cache when this process
// unwrapped it before (a data key never changes; rotation only re-wraps
// it), else loaded and unwrapped. Either way the tombstone check runs.
func (s *Store) keyFor(ctx context.Context, userID uuid.UUID) (userKey, error) {
	if e, ok := s.deks.getAny(userID); ok {
		if err := s.checkTombstone(ctx, userID, e.tomb); err != nil {
			return userKey{}, err
		}
		return userKey{userID: userID, key: e.key, index: e.index}, nil
	}
	var wrapped []byte
	if err := s.db.QueryRow(ctx, `SELECT wrapped_dek FROM users WHERE id = $1`, userID).Scan(&wrapped); err != nil {
		return userKey{}, notFound(err, "user key")
	}
	return s.unwrap(ctx, userID, wrapped)
}

// lookupHash is the keyed hash under which a username is found.
func (s *Store) lookupHash(username string) []byte {
	m := hmac.New(sha256.New, s.keys.LookupKey())
	m.Write([]byte("username\x00" + strings.ToLower(username)))
	return m.Sum(nil)
}

// dekCache keeps recently unwrapped data keys, keyed by user and wrapped
// form, so a request does not pay an unwrap per sealed column. Entries of a
// deleted user are dropped at deletion.
type dekCache struct {
	mu    sync.Mutex
	max   int
	items map[uuid.UUID]cachedDEK
}

type cachedDEK struct {
	wrapped string
	key     *seal.Key
	// Derived once with the key, as every use needs them: the user's
	// tombstone id, checked at every use, and blind-index key.
	tomb, index []byte
}

func newDEKCache(max int) *dekCache { return &dekCache{max: max, items: map[uuid.UUID]cachedDEK{}} }

func (c *dekCache) get(userID uuid.UUID, wrapped []byte) (cachedDEK, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[userID]
	if !ok || it.wrapped != string(wrapped) {
		return cachedDEK{}, false
	}
	return it, true
}

// getAny returns the user's cached key whatever wrapped form it came from.
func (c *dekCache) getAny(userID uuid.UUID) (cachedDEK, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[userID]
	return it, ok
}

func (c *dekCache) put(userID uuid.UUID, e cachedDEK) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= c.max {
		clear(c.items) // simple and bounded; unwrapping again is cheap
	}
	c.items[userID] = e
}

func (c *dekCache) drop(userID uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, userID)
}
