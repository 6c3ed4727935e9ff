/* Access phase: Host/Origin checks, then bearer authentication through the shared-memory cache,
 * falling back to a PostgreSQL lookup on the thread pool. Also batches last-used updates. */
#include "ngx_http_asgard_module.h"


typedef struct {
    u_char               digest[32];
    asg_principal_t      principal;
} ngx_http_asgard_lookup_task_t;

#define NGX_HTTP_ASGARD_TOUCH_MAX  512

static int64_t     ngx_http_asgard_touched[NGX_HTTP_ASGARD_TOUCH_MAX];
static ngx_uint_t  ngx_http_asgard_ntouched;


void
ngx_http_asgard_note_token_use(int64_t token_id)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_asgard_ntouched; i++) {
        if (ngx_http_asgard_touched[i] == token_id) {
            return;
        }
    }

    if (ngx_http_asgard_ntouched < NGX_HTTP_ASGARD_TOUCH_MAX) {
        ngx_http_asgard_touched[ngx_http_asgard_ntouched++] = token_id;
    }
}


typedef struct {
    size_t   count;
    int64_t  ids[NGX_HTTP_ASGARD_TOUCH_MAX];
} ngx_http_asgard_touch_task_t;


static void
ngx_http_asgard_touch_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_touch_task_t  *t = data;

    asg_tokens_touch(t->ids, t->count);
}


void
ngx_http_asgard_flush_token_use(ngx_cycle_t *cycle)
{
    ngx_thread_task_t             *task;
    ngx_http_asgard_touch_task_t  *t;

    if (ngx_http_asgard_ntouched == 0) {
        return;
    }

    t = ngx_http_asgard_detached_task(cycle, sizeof(ngx_http_asgard_touch_task_t),
                                      ngx_http_asgard_touch_thread, NULL, &task);
    if (t == NULL) {
        return;
    }

    t->count = ngx_http_asgard_ntouched;
    ngx_memcpy(t->ids, ngx_http_asgard_touched, t->count * sizeof(int64_t));

    if (ngx_http_asgard_detached_post(cycle, task) == NGX_OK) {
        ngx_http_asgard_ntouched = 0;
    }
}


/* Under /api/gateway/ every answer has the gateway's OpenAI shape; on /mcp the OAuth one. */
/* The credential: the Authorization header, or under the gateway an x-api-key header (as the
 * Anthropic SDK and Claude Code send a key) taken as "Bearer <key>". */
static ngx_int_t
ngx_http_asgard_credential(ngx_http_request_t *r, ngx_http_asgard_loc_conf_t *alcf, ngx_str_t *value)
{
    u_char     *p;
    ngx_str_t  *key;

    if (r->headers_in.authorization != NULL) {
        *value = r->headers_in.authorization->value;
        return NGX_OK;
    }

    ngx_str_null(value);

    if (!(alcf->gateway || alcf->gateway_models)) {
        return NGX_OK;
    }

    key = ngx_http_asgard_find_header(r, "x-api-key", sizeof("x-api-key") - 1);
    if (key == NULL) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, sizeof("Bearer ") - 1 + key->len);
    if (p == NULL) {
        return NGX_ERROR;
    }
    value->data = p;
    p = ngx_cpymem(p, "Bearer ", sizeof("Bearer ") - 1);
    ngx_memcpy(p, key->data, key->len);
    value->len = sizeof("Bearer ") - 1 + key->len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_asgard_reject(ngx_http_request_t *r, asg_auth_status_t status)
{
    int               rc, api;
    asg_http_error_t  err;

    switch (status) {
    case ASG_AUTH_MALFORMED:
    case ASG_AUTH_BAD_CHECKSUM:
    case ASG_AUTH_UNKNOWN:
    case ASG_AUTH_REVOKED:
    case ASG_AUTH_EXPIRED:
    case ASG_AUTH_USER_DISABLED:
        ngx_http_asgard_auth_limit_failed(r);   /* a token was presented and refused */
        break;
    default:                                    /* none presented, or PostgreSQL is down */
        break;
    }

    api = ngx_http_asgard_gateway_api(r);
    rc = api ? asg_gateway_auth_error(api, status, &err) : asg_auth_error(status, &err);
    if (rc != 0) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    /* The answer is sent: finish the request here and stop the phases. */
    ngx_http_finalize_request(r, ngx_http_asgard_send_error(r, &err));

    return NGX_DONE;
}


/* 429 before any PostgreSQL look-up: the client's address is over its failure limit. */
static ngx_int_t
ngx_http_asgard_throttle(ngx_http_request_t *r, time_t retry_after)
{
    u_char            *p;
    asg_http_error_t   err;

    if (asg_auth_throttled_error(ngx_http_asgard_gateway_api(r), (int64_t) retry_after, &err)
        != 0)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL
        || ngx_http_asgard_add_header_ref(r, "Retry-After", (const char *) p,
                                          ngx_sprintf(p, "%T", retry_after) - p) == NULL)
    {
        asg_free(err.body);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    ngx_http_finalize_request(r, ngx_http_asgard_send_error(r, &err));

    return NGX_DONE;
}


/* Decides on a known principal: NGX_DECLINED to continue, or the sent rejection's rc. */
static ngx_int_t
ngx_http_asgard_admit(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    asg_auth_status_t  status;

    status = asg_auth_effective_status(&ctx->principal, ngx_http_asgard_now_ms());

    if (status != ASG_AUTH_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "asgard: credential rejected (status %d, token id %L)",
                      (int) status, ctx->principal.token_id);
        return ngx_http_asgard_reject(r, status);
    }

    ngx_http_asgard_note_token_use(ctx->principal.token_id);

    return NGX_DECLINED;
}


static void
ngx_http_asgard_lookup_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_lookup_task_t  *t = data;

    asg_auth_lookup(t->digest, &t->principal);
}


static void
ngx_http_asgard_lookup_done(ngx_http_request_t *r, void *data)
{
    ngx_http_asgard_ctx_t          *ctx;
    ngx_http_asgard_main_conf_t    *amcf;
    ngx_http_asgard_lookup_task_t  *t = data;

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    ctx->principal = t->principal;
    ctx->auth_state = NGX_HTTP_ASGARD_AUTH_DONE;

    if (t->principal.status == ASG_AUTH_UNAVAILABLE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "asgard: token lookup failed: PostgreSQL is unavailable");

    } else {
        amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);
        ngx_http_asgard_cache_put(amcf->cache_zone, t->digest, &t->principal,
                                  sizeof(asg_principal_t), amcf->cache_ttl);

        if (asg_auth_effective_status(&t->principal, ngx_http_asgard_now_ms()) == ASG_AUTH_OK) {
            ngx_http_asgard_auth_limit_succeeded(r, t->digest);
        }
    }

    ngx_http_asgard_resume(r);
}


/* The lookup is late: the credential store's 503, as when it fails. */
static ngx_int_t
ngx_http_asgard_lookup_expired(ngx_http_request_t *r)
{
    asg_http_error_t  err;

    if (asg_auth_error(ASG_AUTH_UNAVAILABLE, &err) != 0) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return ngx_http_asgard_send_error(r, &err);
}


ngx_int_t
ngx_http_asgard_access_handler(ngx_http_request_t *r)
{
    time_t                          retry_after;
    ngx_int_t                       rc;
    ngx_str_t                       credential;
    asg_auth_status_t                status;
    ngx_http_asgard_ctx_t           *ctx;
    ngx_http_asgard_request_task_t  *task;
    ngx_http_asgard_loc_conf_t     *alcf;
    ngx_http_asgard_main_conf_t    *amcf;
    ngx_http_asgard_lookup_task_t  *t;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    if (!(alcf->mcp || alcf->gateway || alcf->gateway_models) || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx != NULL) {
        if (ctx->auth_state == NGX_HTTP_ASGARD_AUTH_WAITING) {
            return NGX_AGAIN;
        }
        if (ctx->gateway_state == NGX_HTTP_ASGARD_GW_START) {
            rc = ngx_http_asgard_admit(r, ctx);
            if (rc != NGX_DECLINED || alcf->mcp) {
                return rc;
            }
        }
        return ngx_http_asgard_gateway_access(r, ctx);
    }

    rc = ngx_http_asgard_check_origin_and_host(r, alcf);
    if (rc != NGX_DECLINED) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_asgard_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_http_set_ctx(r, ctx, ngx_http_asgard_module);

    if (ngx_http_asgard_credential(r, alcf, &credential) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    status = asg_auth_digest_header((const char *) credential.data, credential.len, ctx->digest);

    if (status != ASG_AUTH_OK) {
        return ngx_http_asgard_reject(r, status);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    if (ngx_http_asgard_cache_get(amcf->cache_zone, ctx->digest, &ctx->principal,
                                  sizeof(asg_principal_t)) == NGX_OK)
    {
        ctx->auth_state = NGX_HTTP_ASGARD_AUTH_DONE;
        rc = ngx_http_asgard_admit(r, ctx);
        if (rc != NGX_DECLINED || alcf->mcp) {
            return rc;
        }
        return ngx_http_asgard_gateway_access(r, ctx);
    }

    /* Not cached: the checksum (still no I/O) before PostgreSQL is asked. */
    status = asg_auth_parse_header((const char *) credential.data, credential.len, ctx->digest);

    if (status != ASG_AUTH_OK) {
        return ngx_http_asgard_reject(r, status);
    }

    if (ngx_http_asgard_auth_limit_check(r, ctx->digest, &retry_after) == NGX_BUSY) {
        return ngx_http_asgard_throttle(r, retry_after);
    }

    t = ngx_http_asgard_request_task(r, sizeof(ngx_http_asgard_lookup_task_t),
                                     ngx_http_asgard_lookup_thread, ngx_http_asgard_lookup_done,
                                     ngx_http_asgard_lookup_expired, NULL, &task);
    if (t == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(t->digest, ctx->digest, 32);

    if (ngx_http_asgard_request_task_post(r, task) != NGX_OK) {
        return ngx_http_asgard_reject(r, ASG_AUTH_UNAVAILABLE);
    }

    ctx->auth_state = NGX_HTTP_ASGARD_AUTH_WAITING;

    return NGX_AGAIN;
}
