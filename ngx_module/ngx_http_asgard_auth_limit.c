/* The failed-authentication limiter (a shared-memory zone, the limit_req way: slab, rbtree, LRU
 * queues, lock): failures per client address in a window, and the tokens PostgreSQL lately found
 * valid, whose look-ups the limiter never refuses. */
#include "ngx_http_asgard_module.h"


/* A token PostgreSQL found valid may be looked up from a throttled address this long after. */
#define NGX_HTTP_ASGARD_KNOWN_TOKEN_TTL  (3600 * 1000)

#define NGX_HTTP_ASGARD_LIMIT_ADDRESS  1
#define NGX_HTTP_ASGARD_LIMIT_TOKEN    2

#define NGX_HTTP_ASGARD_LIMIT_KEY_LEN  33   /* kind, then a digest or family + address bytes */


typedef struct {
    u_char        color;
    u_char        dummy;
    ngx_queue_t   queue;
    ngx_msec_t    start;      /* an address: its window's start; a token: its last success */
    ngx_uint_t    failures;   /* an address's failures in its window */
    u_char        key[NGX_HTTP_ASGARD_LIMIT_KEY_LEN];
} ngx_http_asgard_limit_node_t;

typedef struct {
    ngx_rbtree_t       rbtree;
    ngx_rbtree_node_t  sentinel;
    ngx_queue_t        addresses;   /* LRU, most recent first */
    ngx_queue_t        tokens;
} ngx_http_asgard_limit_sh_t;

typedef struct {
    ngx_http_asgard_limit_sh_t  *sh;
    ngx_slab_pool_t             *shpool;
    ngx_uint_t                   failures;
    ngx_msec_t                   window;
} ngx_http_asgard_limit_t;


#define ngx_http_asgard_limit_data(node)                                      \
    ((ngx_http_asgard_limit_node_t *) &(node)->color)

#define ngx_http_asgard_limit_rbnode(ln)                                      \
    ((ngx_rbtree_node_t *) ((u_char *) (ln) - offsetof(ngx_rbtree_node_t, color)))


static void
ngx_http_asgard_limit_insert_value(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t             **p;
    ngx_http_asgard_limit_node_t   *ln, *lnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            ln = ngx_http_asgard_limit_data(node);
            lnt = ngx_http_asgard_limit_data(temp);
            p = (ngx_memcmp(ln->key, lnt->key, NGX_HTTP_ASGARD_LIMIT_KEY_LEN) < 0)
                ? &temp->left : &temp->right;
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


static ngx_http_asgard_limit_node_t *
ngx_http_asgard_limit_find(ngx_http_asgard_limit_t *limit, const u_char *key, uint32_t hash)
{
    ngx_int_t                      rc;
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_asgard_limit_node_t  *ln;

    node = limit->sh->rbtree.root;
    sentinel = limit->sh->rbtree.sentinel;

    while (node != sentinel) {
        if (hash < node->key) {
            node = node->left;
            continue;
        }
        if (hash > node->key) {
            node = node->right;
            continue;
        }

        ln = ngx_http_asgard_limit_data(node);
        rc = ngx_memcmp(key, ln->key, NGX_HTTP_ASGARD_LIMIT_KEY_LEN);
        if (rc == 0) {
            return ln;
        }
        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_asgard_limit_remove(ngx_http_asgard_limit_t *limit, ngx_http_asgard_limit_node_t *ln)
{
    ngx_rbtree_node_t  *node;

    node = ngx_http_asgard_limit_rbnode(ln);
    ngx_queue_remove(&ln->queue);
    ngx_rbtree_delete(&limit->sh->rbtree, node);
    ngx_slab_free_locked(limit->shpool, node);
}


/* Frees up to two entries past their time from a queue's tail; with force, first its oldest. */
static ngx_uint_t
ngx_http_asgard_limit_expire(ngx_http_asgard_limit_t *limit, ngx_queue_t *queue, ngx_msec_t ttl,
    ngx_uint_t force)
{
    ngx_uint_t                     n, freed;
    ngx_queue_t                   *q;
    ngx_http_asgard_limit_node_t  *ln;

    freed = 0;

    for (n = 0; n < 3; n++) {
        if (ngx_queue_empty(queue)) {
            break;
        }

        q = ngx_queue_last(queue);
        ln = ngx_queue_data(q, ngx_http_asgard_limit_node_t, queue);

        if (!force && (ngx_msec_int_t) (ngx_current_msec - ln->start) < (ngx_msec_int_t) ttl) {
            break;
        }

        ngx_http_asgard_limit_remove(limit, ln);
        freed++;
        force = 0;
    }

    return freed;
}


static ngx_http_asgard_limit_node_t *
ngx_http_asgard_limit_add(ngx_http_asgard_limit_t *limit, const u_char *key, uint32_t hash)
{
    size_t                         size;
    ngx_queue_t                   *own, *other;
    ngx_msec_t                     own_ttl, other_ttl;
    ngx_rbtree_node_t             *node;
    ngx_http_asgard_limit_node_t  *ln;

    if (key[0] == NGX_HTTP_ASGARD_LIMIT_ADDRESS) {
        own = &limit->sh->addresses;
        own_ttl = limit->window;
        other = &limit->sh->tokens;
        other_ttl = NGX_HTTP_ASGARD_KNOWN_TOKEN_TTL;

    } else {
        own = &limit->sh->tokens;
        own_ttl = NGX_HTTP_ASGARD_KNOWN_TOKEN_TTL;
        other = &limit->sh->addresses;
        other_ttl = limit->window;
    }

    ngx_http_asgard_limit_expire(limit, own, own_ttl, 0);
    ngx_http_asgard_limit_expire(limit, other, other_ttl, 0);

    size = offsetof(ngx_rbtree_node_t, color) + sizeof(ngx_http_asgard_limit_node_t);

    node = ngx_slab_alloc_locked(limit->shpool, size);

    /* The zone is full: the oldest entry of the same kind goes, else the oldest of the other. */
    if (node == NULL
        && (ngx_http_asgard_limit_expire(limit, own, own_ttl, 1)
            || ngx_http_asgard_limit_expire(limit, other, other_ttl, 1)))
    {
        node = ngx_slab_alloc_locked(limit->shpool, size);
    }

    if (node == NULL) {
        return NULL;
    }

    node->key = hash;
    ln = ngx_http_asgard_limit_data(node);
    ln->start = ngx_current_msec;
    ln->failures = 0;
    ngx_memcpy(ln->key, key, NGX_HTTP_ASGARD_LIMIT_KEY_LEN);

    ngx_rbtree_insert(&limit->sh->rbtree, node);
    ngx_queue_insert_head(own, &ln->queue);

    return ln;
}


/* The limiter of the request's location, or NULL where it is off. */
static ngx_http_asgard_limit_t *
ngx_http_asgard_limit_of(ngx_http_request_t *r)
{
    ngx_http_asgard_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    if (alcf->auth_limit_zone == NULL || alcf->auth_limit_zone == NGX_CONF_UNSET_PTR) {
        return NULL;
    }

    return alcf->auth_limit_zone->data;
}


/* The client address as a key, as $binary_remote_addr has it (after realip, if configured). */
static uint32_t
ngx_http_asgard_limit_address_key(ngx_http_request_t *r, u_char key[NGX_HTTP_ASGARD_LIMIT_KEY_LEN])
{
    struct sockaddr      *sa;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    ngx_memzero(key, NGX_HTTP_ASGARD_LIMIT_KEY_LEN);
    key[0] = NGX_HTTP_ASGARD_LIMIT_ADDRESS;

    sa = r->connection->sockaddr;
    key[1] = (u_char) sa->sa_family;

    switch (sa->sa_family) {

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        ngx_memcpy(key + 2, sin6->sin6_addr.s6_addr, 16);
        break;
#endif

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        ngx_memcpy(key + 2, &sin->sin_addr, 4);
        break;

    default:   /* every client of a UNIX socket is one address */
        break;
    }

    return ngx_crc32_short(key, NGX_HTTP_ASGARD_LIMIT_KEY_LEN);
}


static uint32_t
ngx_http_asgard_limit_token_key(const u_char digest[32], u_char key[NGX_HTTP_ASGARD_LIMIT_KEY_LEN])
{
    key[0] = NGX_HTTP_ASGARD_LIMIT_TOKEN;
    ngx_memcpy(key + 1, digest, 32);

    return ngx_crc32_short(key, NGX_HTTP_ASGARD_LIMIT_KEY_LEN);
}


void
ngx_http_asgard_auth_limit_failed(ngx_http_request_t *r)
{
    u_char                         key[NGX_HTTP_ASGARD_LIMIT_KEY_LEN];
    uint32_t                       hash;
    ngx_uint_t                     reached;
    ngx_http_asgard_limit_t       *limit;
    ngx_http_asgard_limit_node_t  *ln;

    limit = ngx_http_asgard_limit_of(r);
    if (limit == NULL) {
        return;
    }

    hash = ngx_http_asgard_limit_address_key(r, key);
    reached = 0;

    ngx_shmtx_lock(&limit->shpool->mutex);

    ln = ngx_http_asgard_limit_find(limit, key, hash);

    if (ln != NULL && (ngx_msec_int_t) (ngx_current_msec - ln->start) >= (ngx_msec_int_t) limit->window) {
        ln->start = ngx_current_msec;    /* its window is over: a new one starts */
        ln->failures = 0;
    }

    if (ln == NULL) {
        ln = ngx_http_asgard_limit_add(limit, key, hash);
    }

    if (ln != NULL) {
        if (ln->failures < limit->failures) {
            ln->failures++;
            reached = (ln->failures == limit->failures);
        }
        ngx_queue_remove(&ln->queue);
        ngx_queue_insert_head(&limit->sh->addresses, &ln->queue);
    }

    ngx_shmtx_unlock(&limit->shpool->mutex);

    if (ln == NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "asgard: the failed-authentication zone is full; "
                      "a failure from %V is not counted", &r->connection->addr_text);

    } else if (reached) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "asgard: %ui failed authentications from %V: token look-ups from it "
                      "are refused with 429 until its window of %M ms is over",
                      limit->failures, &r->connection->addr_text, limit->window);
    }
}


void
ngx_http_asgard_auth_limit_succeeded(ngx_http_request_t *r, const u_char digest[32])
{
    u_char                         key[NGX_HTTP_ASGARD_LIMIT_KEY_LEN];
    uint32_t                       hash;
    ngx_http_asgard_limit_t       *limit;
    ngx_http_asgard_limit_node_t  *ln;

    limit = ngx_http_asgard_limit_of(r);
    if (limit == NULL) {
        return;
    }

    hash = ngx_http_asgard_limit_token_key(digest, key);

    ngx_shmtx_lock(&limit->shpool->mutex);

    ln = ngx_http_asgard_limit_find(limit, key, hash);

    if (ln == NULL) {
        ln = ngx_http_asgard_limit_add(limit, key, hash);

    } else {
        ln->start = ngx_current_msec;
        ngx_queue_remove(&ln->queue);
        ngx_queue_insert_head(&limit->sh->tokens, &ln->queue);
    }

    ngx_shmtx_unlock(&limit->shpool->mutex);
}


ngx_int_t
ngx_http_asgard_auth_limit_check(ngx_http_request_t *r, const u_char digest[32],
    time_t *retry_after)
{
    u_char                         key[NGX_HTTP_ASGARD_LIMIT_KEY_LEN];
    uint32_t                       hash;
    ngx_int_t                      rc;
    ngx_msec_int_t                 left;
    ngx_http_asgard_limit_t       *limit;
    ngx_http_asgard_limit_node_t  *ln;

    limit = ngx_http_asgard_limit_of(r);
    if (limit == NULL) {
        return NGX_OK;
    }

    hash = ngx_http_asgard_limit_address_key(r, key);
    rc = NGX_OK;

    ngx_shmtx_lock(&limit->shpool->mutex);

    ln = ngx_http_asgard_limit_find(limit, key, hash);

    if (ln != NULL && ln->failures >= limit->failures) {
        left = (ngx_msec_int_t) (ln->start + limit->window - ngx_current_msec);

        if (left > 0) {
            hash = ngx_http_asgard_limit_token_key(digest, key);
            ln = ngx_http_asgard_limit_find(limit, key, hash);

            if (ln == NULL
                || (ngx_msec_int_t) (ngx_current_msec - ln->start)
                   >= NGX_HTTP_ASGARD_KNOWN_TOKEN_TTL)
            {
                *retry_after = (time_t) ((left + 999) / 1000);
                rc = NGX_BUSY;
            }
        }
    }

    ngx_shmtx_unlock(&limit->shpool->mutex);

    return rc;
}


static ngx_int_t
ngx_http_asgard_limit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_asgard_limit_t  *olimit = data;

    size_t                    len;
    ngx_http_asgard_limit_t  *limit;

    limit = shm_zone->data;

    if (olimit) {
        limit->sh = olimit->sh;
        limit->shpool = olimit->shpool;
        return NGX_OK;
    }

    limit->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        limit->sh = limit->shpool->data;
        return NGX_OK;
    }

    limit->sh = ngx_slab_alloc(limit->shpool, sizeof(ngx_http_asgard_limit_sh_t));
    if (limit->sh == NULL) {
        return NGX_ERROR;
    }

    limit->shpool->data = limit->sh;

    ngx_rbtree_init(&limit->sh->rbtree, &limit->sh->sentinel, ngx_http_asgard_limit_insert_value);
    ngx_queue_init(&limit->sh->addresses);
    ngx_queue_init(&limit->sh->tokens);

    len = sizeof(" in asgard failed-authentication zone \"\"") + shm_zone->shm.name.len;

    limit->shpool->log_ctx = ngx_slab_alloc(limit->shpool, len);
    if (limit->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(limit->shpool->log_ctx, " in asgard failed-authentication zone \"%V\"%Z",
                &shm_zone->shm.name);

    limit->shpool->log_nomem = 0;   /* a full zone is handled: the oldest entries go */

    return NGX_OK;
}


ngx_shm_zone_t *
ngx_http_asgard_auth_limit_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    ngx_uint_t failures, ngx_msec_t window)
{
    ngx_shm_zone_t           *zone;
    ngx_http_asgard_limit_t  *limit;

    zone = ngx_shared_memory_add(cf, name, size, &ngx_http_asgard_module);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data != NULL) {
        limit = zone->data;

        if (zone->init != ngx_http_asgard_limit_init_zone
            || limit->failures != failures || limit->window != window)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "zone \"%V\" is already declared with other parameters", name);
            return NULL;
        }

        return zone;   /* the same zone named again: one count for every place naming it */
    }

    limit = ngx_pcalloc(cf->pool, sizeof(ngx_http_asgard_limit_t));
    if (limit == NULL) {
        return NULL;
    }

    limit->failures = failures;
    limit->window = window;

    zone->init = ngx_http_asgard_limit_init_zone;
    zone->data = limit;

    return zone;
}


/* asgard_auth_failure_limit zone=NAME:SIZE [failures=N] [window=TIME]; | off; */
char *
ngx_http_asgard_auth_failure_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_asgard_loc_conf_t *alcf = conf;

    ssize_t      size;
    ngx_int_t    failures;
    ngx_str_t   *value, name, s;
    ngx_msec_t   window;
    ngx_uint_t   i;

    if (alcf->auth_limit_zone != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        alcf->auth_limit_zone = NULL;
        return NGX_CONF_OK;
    }

    size = 0;
    name.len = 0;
    failures = NGX_HTTP_ASGARD_AUTH_LIMIT_FAILURES;
    window = NGX_HTTP_ASGARD_AUTH_LIMIT_WINDOW;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            if (ngx_http_asgard_parse_zone(cf, &value[i], &name, &size) != NGX_OK) {
                return NGX_CONF_ERROR;
            }
            continue;
        }

        if (ngx_strncmp(value[i].data, "failures=", 9) == 0) {
            failures = ngx_atoi(value[i].data + 9, value[i].len - 9);
            if (failures <= 0) {
                goto invalid;
            }
            continue;
        }

        if (ngx_strncmp(value[i].data, "window=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;
            window = ngx_parse_time(&s, 0);
            if (window == (ngx_msec_t) NGX_ERROR || window == 0) {
                goto invalid;
            }
            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        i = 1;
        goto invalid;
    }

    alcf->auth_limit_zone = ngx_http_asgard_auth_limit_zone(cf, &name, size, failures, window);

    return alcf->auth_limit_zone != NULL ? NGX_CONF_OK : NGX_CONF_ERROR;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "asgard_auth_failure_limit takes \"zone=NAME:SIZE [failures=N] "
                       "[window=TIME]\" or \"off\", invalid \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
}
