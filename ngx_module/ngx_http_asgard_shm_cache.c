/* The shared-memory cache (slab + rbtree + LRU, as limit_req does it): token digest -> principal,
 * and session key -> live/ended, with per-entry expiry. Shared by every worker. */
#include "ngx_http_asgard_module.h"


typedef struct {
    u_char        color;
    u_char        len;
    u_char        refreshing;   /* one request is looking the entry up again */
    ngx_queue_t   queue;
    ngx_msec_t    expires;
    u_char        key[32];
    u_char        value[1];
} ngx_http_asgard_cache_node_t;

typedef struct {
    ngx_rbtree_t       rbtree;
    ngx_rbtree_node_t  sentinel;
    ngx_queue_t        queue;
} ngx_http_asgard_cache_sh_t;

typedef struct {
    ngx_http_asgard_cache_sh_t  *sh;
    ngx_slab_pool_t             *shpool;
} ngx_http_asgard_cache_t;


#define ngx_http_asgard_cache_data(node)                                      \
    ((ngx_http_asgard_cache_node_t *) &(node)->color)


static ngx_rbtree_key_t
ngx_http_asgard_cache_hash(const u_char key[32])
{
    return ((ngx_rbtree_key_t) key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3];
}


static void
ngx_http_asgard_cache_insert_value(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t             **p;
    ngx_http_asgard_cache_node_t   *cn, *cnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            cn = ngx_http_asgard_cache_data(node);
            cnt = ngx_http_asgard_cache_data(temp);
            p = (ngx_memcmp(cn->key, cnt->key, 32) < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_rbtree_node_t *
ngx_http_asgard_cache_find(ngx_http_asgard_cache_t *cache, const u_char key[32])
{
    ngx_int_t                      rc;
    ngx_rbtree_key_t               hash;
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_asgard_cache_node_t  *cn;

    hash = ngx_http_asgard_cache_hash(key);
    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {
        if (hash < node->key) {
            node = node->left;
            continue;
        }
        if (hash > node->key) {
            node = node->right;
            continue;
        }

        cn = ngx_http_asgard_cache_data(node);
        rc = ngx_memcmp(key, cn->key, 32);
        if (rc == 0) {
            return node;
        }
        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_asgard_cache_remove(ngx_http_asgard_cache_t *cache, ngx_rbtree_node_t *node)
{
    ngx_http_asgard_cache_node_t  *cn;

    cn = ngx_http_asgard_cache_data(node);
    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, node);
    ngx_slab_free_locked(cache->shpool, node);
}


/* Frees expired entries from the LRU tail; with force, also the oldest live ones. */
static void
ngx_http_asgard_cache_expire(ngx_http_asgard_cache_t *cache, ngx_uint_t force)
{
    ngx_uint_t                     n;
    ngx_queue_t                   *q;
    ngx_rbtree_node_t             *node;
    ngx_http_asgard_cache_node_t  *cn;

    for (n = 0; n < 16; n++) {
        if (ngx_queue_empty(&cache->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&cache->sh->queue);
        cn = ngx_queue_data(q, ngx_http_asgard_cache_node_t, queue);

        if (!force && (ngx_msec_int_t) (cn->expires - ngx_current_msec) > 0) {
            return;
        }

        node = (ngx_rbtree_node_t *) ((u_char *) cn - offsetof(ngx_rbtree_node_t, color));
        ngx_http_asgard_cache_remove(cache, node);
        force = 0;
    }
}


/* An expired entry stays usable this long while one request (the first to see it expired)
 * refreshes it: a hot key never sends every concurrent request to PostgreSQL at once. */
#define NGX_HTTP_ASGARD_CACHE_GRACE  2000

ngx_int_t
ngx_http_asgard_cache_get(ngx_shm_zone_t *zone, const u_char key[32], void *value, size_t len)
{
    ngx_int_t                      rc;
    ngx_rbtree_node_t             *node;
    ngx_http_asgard_cache_t       *cache;
    ngx_http_asgard_cache_node_t  *cn;

    if (zone == NULL) {
        return NGX_DECLINED;
    }

    cache = zone->data;
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&cache->shpool->mutex);

    node = ngx_http_asgard_cache_find(cache, key);

    if (node != NULL) {
        cn = ngx_http_asgard_cache_data(node);

        if ((ngx_msec_int_t) (cn->expires - ngx_current_msec) <= 0) {

            if ((ngx_msec_int_t) (cn->expires + NGX_HTTP_ASGARD_CACHE_GRACE - ngx_current_msec) <= 0) {
                ngx_http_asgard_cache_remove(cache, node);

            } else if (!cn->refreshing) {
                cn->refreshing = 1;          /* this caller looks it up; the others wait not */

            } else if (cn->len == len) {
                ngx_memcpy(value, cn->value, len);
                rc = NGX_OK;
            }

        } else if (cn->len == len) {
            ngx_memcpy(value, cn->value, len);
            ngx_queue_remove(&cn->queue);
            ngx_queue_insert_head(&cache->sh->queue, &cn->queue);
            rc = NGX_OK;
        }
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


void
ngx_http_asgard_cache_put(ngx_shm_zone_t *zone, const u_char key[32], const void *value,
    size_t len, ngx_msec_t ttl)
{
    size_t                         size;
    ngx_rbtree_node_t             *node;
    ngx_http_asgard_cache_t       *cache;
    ngx_http_asgard_cache_node_t  *cn;

    if (zone == NULL || len > 255 || ttl == 0) {
        return;
    }

    cache = zone->data;
    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_asgard_cache_node_t, value) + len;

    ngx_shmtx_lock(&cache->shpool->mutex);

    node = ngx_http_asgard_cache_find(cache, key);
    if (node != NULL) {
        ngx_http_asgard_cache_remove(cache, node);
    }

    ngx_http_asgard_cache_expire(cache, 0);

    node = ngx_slab_alloc_locked(cache->shpool, size);
    if (node == NULL) {
        ngx_http_asgard_cache_expire(cache, 1);
        node = ngx_slab_alloc_locked(cache->shpool, size);
        if (node == NULL) {
            ngx_shmtx_unlock(&cache->shpool->mutex);
            return;
        }
    }

    node->key = ngx_http_asgard_cache_hash(key);
    cn = ngx_http_asgard_cache_data(node);
    cn->len = (u_char) len;
    cn->refreshing = 0;
    cn->expires = ngx_current_msec + ttl;
    ngx_memcpy(cn->key, key, 32);
    ngx_memcpy(cn->value, value, len);

    ngx_rbtree_insert(&cache->sh->rbtree, node);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


static ngx_int_t
ngx_http_asgard_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_asgard_cache_t  *ocache = data;

    size_t                    len;
    ngx_http_asgard_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache) {
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool, sizeof(ngx_http_asgard_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_http_asgard_cache_insert_value);
    ngx_queue_init(&cache->sh->queue);

    len = sizeof(" in asgard token cache \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in asgard token cache \"%V\"%Z",
                &shm_zone->shm.name);

    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


char *
ngx_http_asgard_cache_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t               *zone;
    ngx_http_asgard_cache_t      *cache;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_asgard_module);

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_asgard_cache_t));
    if (cache == NULL) {
        return NGX_CONF_ERROR;
    }

    zone = ngx_shared_memory_add(cf, name, size, &ngx_http_asgard_module);
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "duplicate zone \"%V\"", name);
        return NGX_CONF_ERROR;
    }

    zone->init = ngx_http_asgard_cache_init_zone;
    zone->data = cache;
    amcf->cache_zone = zone;

    return NGX_CONF_OK;
}
