package auth

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// APIKeyCacheTTL is how long a looked-up API key is trusted without asking
// the database again. It bounds how late a revocation made on another
// replica takes effect here; one made through this Service takes effect at
// once.
const APIKeyCacheTTL = 5 * time.Second

// apiKeyCache keeps recent API key lookups by token hash, so that a client
// streaming completions back to back costs one database lookup per TTL
// rather than one per request. It holds no secret: the key is the hash
// the database is searched by, and unknown tokens are never cached.
type apiKeyCache struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	items map[string]cachedAPIKey
	// gen grows at every drop, so that a lookup that read the database
	// before a revocation cannot cache what it read after it.
	gen uint64
}

type cachedAPIKey struct {
	key     store.APIKey
	user    store.User
	expires time.Time
}

func newAPIKeyCache(ttl time.Duration, max int) *apiKeyCache {
	return &apiKeyCache{ttl: ttl, max: max, items: map[string]cachedAPIKey{}}
}

// get returns the key and user cached under hash, if not expired at now,
// and else the generation to hand put after the lookup.
func (c *apiKeyCache) get(hash []byte, now time.Time) (store.APIKey, store.User, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[string(hash)]
	if !ok || !now.Before(it.expires) {
		return store.APIKey{}, store.User{}, c.gen, false
	}
	return it.key, it.user, c.gen, true
}

// put caches a lookup that started at generation gen, unless something
// was dropped since.
func (c *apiKeyCache) put(hash []byte, k store.APIKey, u store.User, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.items) >= c.max {
		clear(c.items) // bounded and simple: a miss costs one lookup
	}
	c.items[string(hash)] = cachedAPIKey{key: k, user: u, expires: now.Add(c.ttl)}
}

// dropKey forgets the key with that id (revoked).
func (c *apiKeyCache) dropKey(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, it := range c.items {
		if it.key.ID == id {
			delete(c.items, h)
		}
	}
}

// dropUser forgets every key of the user (account deleted).
func (c *apiKeyCache) dropUser(userID uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, it := range c.items {
		if it.key.UserID == userID {
			delete(c.items, h)
		}
	}
}
