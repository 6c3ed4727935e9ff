/* The governed gateway's access phase: after authentication, read the body, run governance on the
 * event loop, reserve rate limits and budget (from the worker's counter leases, else one Redis
 * round trip on the asynchronous connection, else the thread pool), then hand the rewritten request
 * to nginx's own proxy through variables. Also GET /api/gateway/models, the settlement after the
 * call, and the timers that refresh the configuration snapshot, send counter adjustments and
 * flush spend rows. */
#include "ngx_http_asgard_module.h"

#include <hiredis/hiredis.h>


typedef struct {
    ngx_http_request_t     *request;
    asg_gateway_call_t     *call;
    asg_gateway_verdict_t   verdict;
} ngx_http_asgard_reserve_task_t;

typedef struct {
    asg_gateway_call_t     *call;
    int                     aborted;
} ngx_http_asgard_settle_task_t;

typedef struct {
    ngx_http_request_t     *request;
    asg_gateway_call_t     *call;
    ngx_http_asgard_ctx_t  *ctx;      /* in the pool: outlives r->ctx, which a redirect clears */
} ngx_http_asgard_call_holder_t;

static void ngx_http_asgard_call_cleanup(void *data);

/* A reservation waiting on the asynchronous Redis connection. Heap memory: a reply that arrives
 * after the timeout finds it, sees the request has moved on, and frees it. */
typedef struct {
    ngx_event_t             timer;
    ngx_http_request_t     *request;
    asg_gateway_call_t     *call;
    unsigned                timed_out:1;
    asg_gateway_verdict_t   verdict;
    asg_redis_commands_t    undo;         /* copied at the timeout: the call is gone by then */
    u_char                  undo_buf[1024];
} ngx_http_asgard_pending_t;

#define ngx_http_asgard_pending_of(ev)                                                            \
    ((ngx_http_asgard_pending_t *) ((u_char *) (ev) - offsetof(ngx_http_asgard_pending_t, timer)))

static ngx_int_t ngx_http_asgard_post_reserve(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx);


/* Keeps a copy of the reservation's undo in p itself, for a reply that comes after the call. */
static void
ngx_http_asgard_copy_undo(ngx_http_asgard_pending_t *p)
{
    int                    i, k;
    u_char                *at, *end;
    asg_redis_commands_t   cmds;

    asg_gateway_undo_commands(p->call, &cmds);

    at = p->undo_buf;
    end = p->undo_buf + sizeof(p->undo_buf);
    p->undo.count = 0;

    for (i = 0; i < cmds.count; i++) {
        for (k = 0; k < cmds.argc[i]; k++) {
            if ((size_t) (end - at) < cmds.argvlen[i][k]) {
                p->undo.count = 0;
                return;
            }
            p->undo.argv[i][k] = (const char *) at;
            p->undo.argvlen[i][k] = cmds.argvlen[i][k];
            at = ngx_cpymem(at, cmds.argv[i][k], cmds.argvlen[i][k]);
        }
        p->undo.argc[i] = cmds.argc[i];
        p->undo.count = i + 1;
    }
}


static ngx_int_t
ngx_http_asgard_send_verdict(ngx_http_request_t *r, asg_gateway_verdict_t *v)
{
    int               i;
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    for (i = 0; i < v->nheaders; i++) {
        if (ngx_http_asgard_add_header(r, v->header_names[i], v->header_values[i]) == NULL) {
            return NGX_ERROR;
        }
    }

    if (v->retry_after[0] != '\0') {
        h = ngx_http_asgard_add_header(r, "Retry-After", v->retry_after);
        if (h == NULL) {
            return NGX_ERROR;
        }
    }

    rc = ngx_http_asgard_send(r, v->status, "application/json", v->body, v->body_len);
    asg_free(v->body);
    v->body = NULL;

    return rc;
}


/* Answers the request now and stops the phases. */
static ngx_int_t
ngx_http_asgard_gateway_finish(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_finalize_request(r, rc);
    return NGX_DONE;
}


static void
ngx_http_asgard_settle_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_settle_task_t  *t = data;

    asg_gateway_settle(t->call, t->aborted);
}


static void
ngx_http_asgard_settle_done(void *data)
{
    ngx_http_asgard_settle_task_t  *t = data;

    asg_gateway_call_free(t->call);
}


/* The gateway call's context once an internal redirect (error_page answering 502, 504 or 413) has
 * cleared the module's r->ctx: found through the call's pool cleanup, as ModSecurity-nginx does. */
ngx_http_asgard_ctx_t *
ngx_http_asgard_gateway_ctx_after_redirect(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_asgard_call_cleanup) {
            return ((ngx_http_asgard_call_holder_t *) cln->data)->ctx;
        }
    }

    return NULL;
}


/* Runs when the request's pool goes: the call is settled on the thread pool, then freed. */
static void
ngx_http_asgard_call_cleanup(void *data)
{
    ngx_http_asgard_call_holder_t  *holder = data;

    ngx_http_request_t             *r;
    ngx_thread_task_t              *task;
    ngx_http_asgard_settle_task_t  *t;

    r = holder->request;

    asg_gateway_final_status(holder->call, (int) r->headers_out.status);

    if (ngx_http_asgard_redis_available()) {
        /* No I/O here: the spend row is queued and the counter updates summed; the settle timer
         * sends the sums every 100 ms. */
        asg_gateway_settle_deferred(holder->call,
                                    r->connection->error || r->headers_out.status == 499,
                                    ngx_http_asgard_now_ms());
        asg_gateway_call_free(holder->call);
        return;
    }

    t = ngx_http_asgard_detached_task((ngx_cycle_t *) ngx_cycle,
                                      sizeof(ngx_http_asgard_settle_task_t),
                                      ngx_http_asgard_settle_thread, ngx_http_asgard_settle_done,
                                      &task);
    if (t != NULL) {
        t->call = holder->call;
        t->aborted = r->connection->error || r->headers_out.status == 499;

        if (ngx_http_asgard_detached_post((ngx_cycle_t *) ngx_cycle, task) == NGX_OK) {
            return;
        }
    }

    /* No thread to settle on, and no blocking here: the reservation stays counted (never an
     * overspend) and the call goes unrecorded; say so. */
    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "asgard: could not queue the settlement of a gateway call");
    asg_gateway_call_free(holder->call);
}


static void
ngx_http_asgard_reserve_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_reserve_task_t  *t = data;

    asg_gateway_reserve(t->call, ngx_http_asgard_now_ms(), &t->verdict);
}


static void
ngx_http_asgard_reserve_done(ngx_event_t *ev)
{
    ngx_http_request_t              *r;
    ngx_http_asgard_ctx_t           *ctx;
    ngx_http_asgard_reserve_task_t  *t;

    t = ev->data;
    r = t->request;

    ngx_http_asgard_task_finished(r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    ctx->gateway_state = NGX_HTTP_ASGARD_GW_PROXYING;
    ctx->verdict = &t->verdict;

    ngx_http_asgard_resume(r);
}




static void
ngx_http_asgard_reserve_replied(void *async_ctx, void *reply, void *data)
{
    ngx_http_asgard_pending_t  *p = data;

    asg_redis_commands_t        undo;
    ngx_http_request_t         *r;
    ngx_http_asgard_ctx_t      *ctx;

    if (p->timed_out) {
        /* The call answered 503 long ago: take back what this late reservation counted. */
        if (reply != NULL && ((redisReply *) reply)->type == REDIS_REPLY_ARRAY && p->undo.count > 0) {
            (void) ngx_http_asgard_redis_send(&p->undo, NULL, NULL);
        }
        ngx_free(p);
        return;
    }

    if (p->timer.timer_set) {
        ngx_del_timer(&p->timer);
    }

    r = p->request;
    ngx_http_asgard_task_finished(r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    asg_gateway_reserve_reply(p->call, reply, &p->verdict);

    if (p->verdict.needs_io) {
        /* Redis failed, or the month's budget counter must be initialized: the thread pool. An
         * attempt that counted is taken back at once, so other calls never see it. */
        asg_gateway_followup_commands(p->call, &undo);
        if (undo.count > 0 && ngx_http_asgard_redis_send(&undo, NULL, NULL) == NGX_OK) {
            asg_gateway_followup_sent(p->call);
        }
        ngx_free(p);
        if (ngx_http_asgard_post_reserve(r, ctx) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        }
        return;
    }

    if (p->verdict.status != 0) {
        asg_gateway_followup_commands(p->call, &undo);
        if (undo.count > 0) {
            (void) ngx_http_asgard_redis_send(&undo, NULL, NULL);
        }
    }

    ctx->verdict = ngx_palloc(r->pool, sizeof(asg_gateway_verdict_t));
    if (ctx->verdict == NULL) {
        asg_free(p->verdict.body);
        ngx_free(p);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    *ctx->verdict = p->verdict;
    ctx->gateway_state = NGX_HTTP_ASGARD_GW_PROXYING;
    ngx_free(p);

    ngx_http_asgard_resume(r);
}


static const char ngx_http_asgard_gw_redis_timeout[] =
    "{\"error\":{\"message\":\"the gateway's counter store (Redis) did not answer in time; try again shortly\","
    "\"type\":\"service_unavailable\",\"code\":\"redis_unavailable\"}}";


static void
ngx_http_asgard_reserve_timeout(ngx_event_t *ev)
{
    ngx_http_asgard_pending_t  *p = ngx_http_asgard_pending_of(ev);
    ngx_http_request_t         *r = p->request;

    p->timed_out = 1;   /* the late reply frees p */
    ngx_http_asgard_copy_undo(p);

    ngx_http_asgard_task_finished(r);
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "asgard: Redis did not answer in time");

    ngx_http_finalize_request(r, ngx_http_asgard_send(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                              "application/json", ngx_http_asgard_gw_redis_timeout,
                              sizeof(ngx_http_asgard_gw_redis_timeout) - 1));
}


/* The reservation from the worker's counter leases, without I/O; NGX_DECLINED when they do not
 * cover the call (or Redis is away, and with it the trust in them). */
static ngx_int_t
ngx_http_asgard_lease_reserve(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    asg_gateway_verdict_t  *v;

    if (!ngx_http_asgard_redis_available()) {
        return NGX_DECLINED;
    }

    v = ngx_palloc(r->pool, sizeof(asg_gateway_verdict_t));
    if (v == NULL) {
        return NGX_DECLINED;
    }

    if (!asg_gateway_reserve_from_leases(ctx->call, ngx_http_asgard_now_ms(), v)) {
        return NGX_DECLINED;
    }

    ctx->verdict = v;
    ctx->gateway_state = NGX_HTTP_ASGARD_GW_PROXYING;

    return NGX_OK;
}


/* The reservation over the asynchronous Redis connection; NGX_DECLINED when it is not usable. */
static ngx_int_t
ngx_http_asgard_async_reserve(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    ngx_int_t                     rc;
    asg_redis_commands_t          cmds;
    ngx_http_asgard_pending_t    *p;
    ngx_http_asgard_main_conf_t  *amcf;

    if (!ngx_http_asgard_redis_available()) {
        return NGX_DECLINED;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    p = ngx_calloc(sizeof(ngx_http_asgard_pending_t), r->connection->log);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    p->request = r;
    p->call = ctx->call;

    asg_gateway_reserve_commands(ctx->call, ngx_http_asgard_now_ms(), &cmds);

    rc = ngx_http_asgard_redis_send(&cmds, ngx_http_asgard_reserve_replied, p);
    if (rc == NGX_DECLINED) {
        ngx_free(p);
        return NGX_DECLINED;
    }

    /* NGX_ERROR (a partial send): the callback still comes, with a failure, and falls back. */

    /* The timer's data is the module's dummy connection; the handler finds p from ev. */
    ngx_http_asgard_timer_init(&p->timer, ngx_http_asgard_reserve_timeout, r->connection->log);
    p->timer.cancelable = 0;
    ngx_add_timer(&p->timer, amcf->io_timeout);

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_asgard_post_reserve(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    ngx_thread_task_t               *task;
    ngx_http_asgard_main_conf_t     *amcf;
    ngx_http_asgard_reserve_task_t  *t;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_asgard_reserve_task_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    t = task->ctx;
    t->request = r;
    t->call = ctx->call;

    task->handler = ngx_http_asgard_reserve_thread;
    task->event.handler = ngx_http_asgard_reserve_done;
    task->event.data = t;

    if (ngx_thread_task_post(amcf->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}


static void
ngx_http_asgard_gateway_body_read(ngx_http_request_t *r)
{
    ngx_http_asgard_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    ctx->gateway_state = NGX_HTTP_ASGARD_GW_RESERVING;
    ctx->body.len = 0;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static const char ngx_http_asgard_gw_too_large[] =
    "{\"error\":{\"message\":\"the request body exceeds asgard_max_body_size\","
    "\"type\":\"invalid_request_error\",\"code\":\"body_too_large\"}}";

static const char ngx_http_asgard_gw_method[] =
    "{\"error\":{\"message\":\"use POST for /api/gateway/chat\","
    "\"type\":\"invalid_request_error\",\"code\":\"method_not_allowed\"}}";


/* Called by the access handler once the caller is authenticated. */
ngx_int_t
ngx_http_asgard_gateway_access(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    ngx_int_t                        rc;
    ngx_str_t                        body, id;
    ngx_pool_cleanup_t              *cln;
    asg_http_error_t                 err;
    asg_gateway_verdict_t            verdict;
    ngx_http_asgard_loc_conf_t      *alcf;
    ngx_http_asgard_call_holder_t   *holder;
    char                             request_id[33];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    /* A user token never calls a service: neither the chat nor the models list. */
    if (ctx->principal.kind != ASG_CRED_PROJECT) {
        asg_gateway_user_token_error(&err);
        return ngx_http_asgard_gateway_finish(r, ngx_http_asgard_send_error(r, &err));
    }

    if (!alcf->gateway) {
        return NGX_DECLINED;   /* the models list: answered by its content handler */
    }

    switch (ctx->gateway_state) {

    case NGX_HTTP_ASGARD_GW_START:

        if (r->method != NGX_HTTP_POST) {
            ngx_http_asgard_add_header(r, "Allow", "POST");
            return ngx_http_asgard_gateway_finish(r,
                       ngx_http_asgard_send(r, NGX_HTTP_NOT_ALLOWED, "application/json",
                                            ngx_http_asgard_gw_method,
                                            sizeof(ngx_http_asgard_gw_method) - 1));
        }

        if (r->headers_in.content_length_n > (off_t) alcf->max_body_size) {
            return ngx_http_asgard_gateway_finish(r,
                       ngx_http_asgard_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                            "application/json", ngx_http_asgard_gw_too_large,
                                            sizeof(ngx_http_asgard_gw_too_large) - 1));
        }

        ctx->gateway_state = NGX_HTTP_ASGARD_GW_READING_BODY;
        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r, ngx_http_asgard_gateway_body_read);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        ngx_http_finalize_request(r, NGX_DONE);
        return NGX_DONE;

    case NGX_HTTP_ASGARD_GW_READING_BODY:
        return NGX_AGAIN;

    case NGX_HTTP_ASGARD_GW_RESERVING:

        if (ctx->call != NULL) {
            return NGX_AGAIN;     /* the reservation task is running */
        }

        if (ngx_http_asgard_collect_body(r, &body) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (body.len > alcf->max_body_size) {
            return ngx_http_asgard_gateway_finish(r,
                       ngx_http_asgard_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                            "application/json", ngx_http_asgard_gw_too_large,
                                            sizeof(ngx_http_asgard_gw_too_large) - 1));
        }

        if (ngx_http_asgard_request_id(r, &id) != NGX_OK || id.len != 32) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ngx_memcpy(request_id, id.data, 32);
        request_id[32] = '\0';

        holder = NULL;
        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_asgard_call_holder_t));
        if (cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->call = asg_gateway_decide(&ctx->principal, request_id, (const char *) body.data,
                                       body.len, 1, ngx_http_asgard_now_ms(), &verdict);
        if (ctx->call == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        holder = cln->data;
        holder->request = r;
        holder->call = ctx->call;
        holder->ctx = ctx;
        cln->handler = ngx_http_asgard_call_cleanup;

        if (verdict.status != 0) {
            return ngx_http_asgard_gateway_finish(r, ngx_http_asgard_send_verdict(r, &verdict));
        }

        if (ngx_http_asgard_lease_reserve(r, ctx) == NGX_OK) {
            return NGX_DECLINED;   /* covered by the worker's leases: on to the proxy */
        }

        if (ngx_http_asgard_async_reserve(r, ctx) == NGX_OK) {
            return NGX_AGAIN;
        }

        if (ngx_http_asgard_post_reserve(r, ctx) != NGX_OK) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        return NGX_AGAIN;

    case NGX_HTTP_ASGARD_GW_PROXYING:

        if (ctx->verdict != NULL && ctx->verdict->status != 0) {
            return ngx_http_asgard_gateway_finish(r, ngx_http_asgard_send_verdict(r, ctx->verdict));
        }

        return NGX_DECLINED;
    }

    return NGX_DECLINED;
}


static const char ngx_http_asgard_models_method[] =
    "{\"error\":{\"message\":\"use GET for /api/gateway/models\","
    "\"type\":\"invalid_request_error\",\"code\":\"method_not_allowed\"}}";


ngx_int_t
ngx_http_asgard_gateway_models_handler(ngx_http_request_t *r)
{
    asg_http_error_t        out;
    ngx_http_asgard_ctx_t  *ctx;

    if (r->method != NGX_HTTP_GET && r->method != NGX_HTTP_HEAD) {
        if (ngx_http_asgard_add_header(r, "Allow", "GET, HEAD") == NULL) {
            return NGX_ERROR;
        }
        return ngx_http_asgard_send(r, NGX_HTTP_NOT_ALLOWED, "application/json",
                                    ngx_http_asgard_models_method,
                                    sizeof(ngx_http_asgard_models_method) - 1);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    if (ctx == NULL || ctx->auth_state != NGX_HTTP_ASGARD_AUTH_DONE) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    asg_gateway_models(&ctx->principal, ngx_http_asgard_now_ms(), &out);

    return ngx_http_asgard_send_error(r, &out);
}


/* ---- variables for the proxy: $asgard_body, $asgard_upstream_url, $asgard_provider_key,
 *      $asgard_provider_host ---- */

static ngx_int_t
ngx_http_asgard_call_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data)
{
    asg_str_t               s;
    ngx_http_asgard_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx == NULL || ctx->call == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = asg_gateway_call_field(ctx->call, (int) data);

    v->data = (u_char *) s.data;
    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_http_variable_t  ngx_http_asgard_gateway_vars[] = {

    { ngx_string("asgard_body"), NULL, ngx_http_asgard_call_variable,
      ASG_GATEWAY_BODY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("asgard_upstream_url"), NULL, ngx_http_asgard_call_variable,
      ASG_GATEWAY_UPSTREAM_URL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("asgard_provider_key"), NULL, ngx_http_asgard_call_variable,
      ASG_GATEWAY_PROVIDER_KEY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("asgard_provider_host"), NULL, ngx_http_asgard_call_variable,
      ASG_GATEWAY_PROVIDER_HOST, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_asgard_gateway_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_asgard_gateway_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* ---- timers: configuration refresh (every 300 ms) and spend flush (every second) ---- */

typedef struct {
    int          flush;
    int          failed;
    char         error[256];
    int          replayed;       /* asg_gateway_replay_spools */
    char         replay[1024];
} ngx_http_asgard_gw_timer_task_t;

static ngx_event_t  ngx_http_asgard_settle_timer;
static ngx_event_t  ngx_http_asgard_refresh_timer;
static ngx_event_t  ngx_http_asgard_flush_timer;
static ngx_uint_t   ngx_http_asgard_refresh_busy;
static ngx_uint_t   ngx_http_asgard_flush_busy;
static time_t       ngx_http_asgard_last_refresh_error;


static void
ngx_http_asgard_gw_timer_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_gw_timer_task_t  *t = data;

    t->failed = t->flush ? asg_gateway_flush(t->error, sizeof(t->error))
                         : asg_gateway_refresh(t->error, sizeof(t->error));

    if (t->flush) {
        t->replayed = asg_gateway_replay_spools(t->replay, sizeof(t->replay));
    }
}


static void
ngx_http_asgard_gw_timer_done(void *data)
{
    ngx_http_asgard_gw_timer_task_t  *t = data;

    ngx_uint_t  level;

    if (t->flush) {
        ngx_http_asgard_flush_busy = 0;
        if (t->failed) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "asgard: gateway spend and call rows: %s",
                          t->error);
        }

        if (t->replayed) {
            level = t->replayed < 0 ? NGX_LOG_ERR : NGX_LOG_NOTICE;
            ngx_log_error(level, ngx_cycle->log, 0, "asgard: call spool: %s", t->replay);
        }

    } else {
        ngx_http_asgard_refresh_busy = 0;
        if (t->failed && ngx_time() - ngx_http_asgard_last_refresh_error >= 10) {
            ngx_http_asgard_last_refresh_error = ngx_time();
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "asgard: refreshing the gateway configuration failed: %s", t->error);
        }
    }
}


static void
ngx_http_asgard_gw_post(int flush)
{
    ngx_thread_task_t                *task;
    ngx_http_asgard_gw_timer_task_t  *t;

    if (flush) {
        /* Every tick, even while a flush is still writing: the event loop's own rows stay one
         * second's worth, and the queue's limit holds for them too. */
        asg_gateway_hand_over_rows();
    }

    if (flush ? ngx_http_asgard_flush_busy : ngx_http_asgard_refresh_busy) {
        return;
    }

    t = ngx_http_asgard_detached_task((ngx_cycle_t *) ngx_cycle,
                                      sizeof(ngx_http_asgard_gw_timer_task_t),
                                      ngx_http_asgard_gw_timer_thread, ngx_http_asgard_gw_timer_done,
                                      &task);
    if (t == NULL) {
        return;
    }

    t->flush = flush;

    if (ngx_http_asgard_detached_post((ngx_cycle_t *) ngx_cycle, task) != NGX_OK) {
        return;
    }

    if (flush) {
        ngx_http_asgard_flush_busy = 1;
    } else {
        ngx_http_asgard_refresh_busy = 1;
    }
}


static void
ngx_http_asgard_gw_timer_handler(ngx_event_t *ev)
{
    int  flush = (ev == &ngx_http_asgard_flush_timer);

    ngx_http_asgard_gw_post(flush);

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, flush ? 1000 : 300);
    }
}


/* Sends the summed settlements over the asynchronous Redis connection (kept while it is down). */
static void
ngx_http_asgard_settle_timer_handler(ngx_event_t *ev)
{
    asg_redis_commands_t  cmds;

    while (ngx_http_asgard_redis_available()) {
        asg_gateway_drain_settlements(&cmds);
        if (cmds.count == 0) {
            break;
        }
        (void) ngx_http_asgard_redis_send(&cmds, NULL, NULL);
    }

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, 100);
    }
}


void
ngx_http_asgard_gateway_timers_start(ngx_cycle_t *cycle)
{
    ngx_http_asgard_timer_init(&ngx_http_asgard_settle_timer, ngx_http_asgard_settle_timer_handler,
                               cycle->log);
    ngx_add_timer(&ngx_http_asgard_settle_timer, 100);

    ngx_http_asgard_timer_init(&ngx_http_asgard_refresh_timer, ngx_http_asgard_gw_timer_handler,
                               cycle->log);
    ngx_http_asgard_timer_init(&ngx_http_asgard_flush_timer, ngx_http_asgard_gw_timer_handler,
                               cycle->log);

    ngx_http_asgard_gw_post(0);

    ngx_add_timer(&ngx_http_asgard_refresh_timer, 300);
    ngx_add_timer(&ngx_http_asgard_flush_timer, 1000);
}


void
ngx_http_asgard_gateway_timers_stop(void)
{
    if (ngx_http_asgard_settle_timer.timer_set) {
        ngx_del_timer(&ngx_http_asgard_settle_timer);
    }

    if (ngx_http_asgard_refresh_timer.timer_set) {
        ngx_del_timer(&ngx_http_asgard_refresh_timer);
    }

    if (ngx_http_asgard_flush_timer.timer_set) {
        ngx_del_timer(&ngx_http_asgard_flush_timer);
    }
}
