/* The governed gateway's access phase: after authentication, read the body, begin the call in the
 * core (governance, the body rewrite and its reservation), let it wait for what it asks (the
 * asynchronous Redis connection, or the thread pool for PostgreSQL) until it is decided, then hand
 * the rewritten request to nginx's own proxy through variables; the call ends with the request's
 * pool. Also GET /api/gateway/models and the timers that refresh the configuration snapshot, send
 * the outbox's counter adjustments and flush spend rows. */
#include "ngx_http_asgard_module.h"

#include <hiredis/hiredis.h>


typedef struct {
    ngx_http_request_t     *request;
    asg_gateway_call_t     *call;
    ngx_http_asgard_ctx_t  *ctx;      /* in the pool: outlives r->ctx, which a redirect clears */
} ngx_http_asgard_call_holder_t;

static void ngx_http_asgard_call_cleanup(void *data);

/* A call waiting for Redis's reply. Heap memory: a reply that comes after the timeout answered
 * the request still finds it, hands the reply to the core and frees it. */
typedef struct {
    ngx_event_t             timer;
    ngx_http_request_t     *request;
    asg_gateway_call_t     *call;
    unsigned                timed_out:1;
} ngx_http_asgard_waiter_t;

#define ngx_http_asgard_waiter_of(ev)                                                             \
    ((ngx_http_asgard_waiter_t *) ((u_char *) (ev) - offsetof(ngx_http_asgard_waiter_t, timer)))

typedef struct {
    asg_gateway_job_t      *job;
    asg_gateway_call_t     *call;
} ngx_http_asgard_job_task_t;

static ngx_int_t ngx_http_asgard_gateway_advance(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx,
    asg_gateway_verdict_t *v);


static ngx_event_t  ngx_http_asgard_outbox_event;
static ngx_event_t  ngx_http_asgard_batch_event;

static void ngx_http_asgard_redis_replied(void *async_ctx, void *reply, void *data);


/* Sends the worker's commands that need no answer, while the connection takes them. */
static void
ngx_http_asgard_gateway_send_outbox(void)
{
    asg_redis_commands_t  cmds;

    while (ngx_http_asgard_redis_available()) {
        asg_gateway_outbox(&cmds);
        if (cmds.count == 0) {
            return;
        }
        (void) ngx_http_asgard_redis_send(&cmds, NULL, NULL);
    }
}


static ngx_int_t
ngx_http_asgard_send_verdict(ngx_http_request_t *r, asg_gateway_verdict_t *v)
{
    int               i;
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    if (v->log_line[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "%s", v->log_line);
    }

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


static void
ngx_http_asgard_outbox_handler(ngx_event_t *ev)
{
    ngx_http_asgard_gateway_send_outbox();
}


/* Sends the outbox once this event loop pass is over: the settlements of every call that ended in
 * it go out summed per counter. */
static void
ngx_http_asgard_gateway_send_outbox_soon(void)
{
    if (!ngx_http_asgard_outbox_event.posted && ngx_http_asgard_outbox_event.handler != NULL) {
        ngx_post_event(&ngx_http_asgard_outbox_event, &ngx_posted_events);
    }
}


/* The call ends (settled without I/O; its row spooled): as its answer's last buffer goes to the
 * client, so that a worker killed once the client has the answer keeps the row; else when the
 * request is freed (the client went away, the answer was cut). Only the first end counts. */
void
ngx_http_asgard_gateway_end_call(ngx_http_request_t *r, asg_gateway_call_t *call)
{
    asg_gateway_end(call, (int) r->headers_out.status,
                    r->connection->error || r->headers_out.status == 499,
                    ngx_http_asgard_now_ms());

    ngx_http_asgard_gateway_send_outbox_soon();
}


/* Runs when the request's pool goes: the call ends if its answer's end did not end it, then is
 * freed. */
static void
ngx_http_asgard_call_cleanup(void *data)
{
    ngx_http_asgard_call_holder_t  *holder = data;

    ngx_http_asgard_gateway_end_call(holder->request, holder->call);
    asg_gateway_call_free(holder->call);
}


/* The decided verdict (pending nothing) goes on the proxied request or answers it. */
static void
ngx_http_asgard_gateway_continue(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx,
    asg_gateway_verdict_t *v)
{
    ngx_int_t  rc;

    rc = ngx_http_asgard_gateway_advance(r, ctx, v);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_asgard_resume(r);
}


static void
ngx_http_asgard_redis_replied(void *async_ctx, void *reply, void *data)
{
    ngx_http_asgard_waiter_t  *w = data;

    ngx_http_request_t        *r;
    asg_gateway_verdict_t      v;
    ngx_http_asgard_ctx_t     *ctx;

    if (w->timed_out) {
        /* The request was answered long ago: the core only reconciles (and may free the call). */
        asg_gateway_redis_reply(w->call, reply, ngx_http_asgard_now_ms(), &v);
        asg_free(v.body);
        ngx_free(w);
        ngx_http_asgard_gateway_send_outbox();
        return;
    }

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    r = w->request;
    ngx_free(w);

    ngx_http_asgard_task_finished(r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    asg_gateway_redis_reply(ctx->call, reply, ngx_http_asgard_now_ms(), &v);
    ngx_http_asgard_gateway_continue(r, ctx, &v);
}


static void
ngx_http_asgard_redis_timed_out(ngx_event_t *ev)
{
    ngx_http_asgard_waiter_t  *w = ngx_http_asgard_waiter_of(ev);
    ngx_http_request_t        *r = w->request;
    asg_gateway_verdict_t      v;
    ngx_http_asgard_ctx_t     *ctx;

    w->timed_out = 1;   /* the reply, whenever it comes, frees w */

    ngx_http_asgard_task_finished(r);
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "asgard: Redis did not answer in time");

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    asg_gateway_redis_timeout(w->call, &v);
    ngx_http_asgard_gateway_continue(r, ctx, &v);
}


/* EXEC's reply to a batch: each waiter, in order, gets its call's part as its own reply. */
static void
ngx_http_asgard_batch_replied(void *async_ctx, void *reply, void *data)
{
    size_t                i, n;
    asg_gateway_batch_t  *b = data;

    n = asg_gateway_batch_size(b);

    for (i = 0; i < n; i++) {
        ngx_http_asgard_redis_replied(async_ctx, (void *) asg_gateway_batch_reply(b, i, reply),
                                      asg_gateway_batch_waiter(b, i));
    }

    asg_gateway_batch_free(b);
}


/* The pass is over: the reservations begun in it go out as one MULTI/EXEC. */
static void
ngx_http_asgard_batch_handler(ngx_event_t *ev)
{
    size_t                i, n;
    asg_str_t             command;
    asg_gateway_batch_t  *b;

    b = asg_gateway_batch_take();
    if (b == NULL) {
        return;
    }

    n = asg_gateway_batch_commands(b);

    for (i = 0; i < n; i++) {
        command = asg_gateway_batch_command(b, i);
        if (ngx_http_asgard_redis_send_wire(command.data, command.len,
                                            i == n - 1 ? ngx_http_asgard_batch_replied : NULL,
                                            i == n - 1 ? b : NULL)
            != NGX_OK)
        {
            /* The connection went since the calls joined (what went out before is voided with
             * it): every call is told the commands could not be sent. */
            ngx_http_asgard_batch_replied(NULL, NULL, b);
            return;
        }
    }
}


/* Sends the call's commands; NGX_DECLINED when there is no usable connection. */
static ngx_int_t
ngx_http_asgard_gateway_ask_redis(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    ngx_int_t                     rc;
    asg_redis_commands_t          cmds;
    ngx_http_asgard_waiter_t     *w;
    ngx_http_asgard_main_conf_t  *amcf;

    if (!ngx_http_asgard_redis_available()) {
        (void) ngx_http_asgard_redis_send(NULL, NULL, NULL);   /* reconnects if it is time */
        return NGX_DECLINED;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    w = ngx_calloc(sizeof(ngx_http_asgard_waiter_t), r->connection->log);
    if (w == NULL) {
        return NGX_DECLINED;
    }

    w->request = r;
    w->call = ctx->call;

    if (ngx_http_asgard_batch_event.handler != NULL && asg_gateway_batch_join(ctx->call, w)) {
        if (!ngx_http_asgard_batch_event.posted) {
            ngx_post_event(&ngx_http_asgard_batch_event, &ngx_posted_events);
        }

    } else {
        asg_gateway_commands(ctx->call, &cmds);

        rc = ngx_http_asgard_redis_send(&cmds, ngx_http_asgard_redis_replied, w);
        if (rc == NGX_DECLINED) {
            ngx_free(w);
            return NGX_DECLINED;
        }
    }

    /* NGX_ERROR (a partial send): the callback still comes, with a failure. */

    /* The timer's data is the module's dummy connection; the handler finds w from ev. */
    ngx_http_asgard_timer_init(&w->timer, ngx_http_asgard_redis_timed_out, r->connection->log);
    w->timer.cancelable = 0;
    ngx_add_timer(&w->timer, amcf->io_timeout);

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}


static void
ngx_http_asgard_job_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_job_task_t  *t = data;

    asg_gateway_pool_run(t->job);
}


static void
ngx_http_asgard_job_done(ngx_http_request_t *r, void *data)
{
    ngx_http_asgard_job_task_t  *t = data;
    asg_gateway_verdict_t        v;
    ngx_http_asgard_ctx_t       *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    asg_gateway_pool_done(t->call, t->job, ngx_http_asgard_now_ms(), &v);
    ngx_http_asgard_gateway_continue(r, ctx, &v);
}


static void
ngx_http_asgard_job_forget(void *data)
{
    ngx_http_asgard_job_task_t  *t = data;

    asg_gateway_job_free(t->job);
}


static const char ngx_http_asgard_gw_pg_late[] =
    "{\"error\":{\"message\":\"the gateway's spend store (PostgreSQL) did not answer in time; try again shortly\","
    "\"type\":\"service_unavailable\",\"code\":\"database_unavailable\"}}";


static ngx_int_t
ngx_http_asgard_job_expired(ngx_http_request_t *r)
{
    return ngx_http_asgard_send(r, NGX_HTTP_SERVICE_UNAVAILABLE, "application/json",
                                ngx_http_asgard_gw_pg_late, sizeof(ngx_http_asgard_gw_pg_late) - 1);
}


/* Runs the call's job on the thread pool; NGX_ERROR when it cannot be posted. */
static ngx_int_t
ngx_http_asgard_gateway_post_job(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    asg_gateway_job_t               *job;
    ngx_http_asgard_job_task_t      *t;
    ngx_http_asgard_request_task_t  *task;

    job = asg_gateway_pool_job(ctx->call);
    if (job == NULL) {
        return NGX_ERROR;
    }

    t = ngx_http_asgard_request_task(r, sizeof(ngx_http_asgard_job_task_t),
                                     ngx_http_asgard_job_thread, ngx_http_asgard_job_done,
                                     ngx_http_asgard_job_expired, ngx_http_asgard_job_forget,
                                     &task);
    if (t == NULL) {
        asg_gateway_job_free(job);
        return NGX_ERROR;
    }

    t->job = job;
    t->call = ctx->call;

    if (ngx_http_asgard_request_task_post(r, task) != NGX_OK) {
        asg_gateway_job_free(job);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Lets the call wait for what its verdict asks, until it is decided: NGX_AGAIN while it waits,
 * NGX_OK once decided (ctx->verdict holds it, the state is PROXYING), NGX_ERROR. */
static ngx_int_t
ngx_http_asgard_gateway_advance(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx,
    asg_gateway_verdict_t *v)
{
    for ( ;; ) {
        ngx_http_asgard_gateway_send_outbox();

        if (v->wait == ASG_GATEWAY_WAIT_REDIS) {
            if (ngx_http_asgard_gateway_ask_redis(r, ctx) == NGX_OK) {
                return NGX_AGAIN;
            }
            asg_gateway_redis_reply(ctx->call, NULL, ngx_http_asgard_now_ms(), v);
            continue;
        }

        if (v->wait == ASG_GATEWAY_WAIT_POOL) {
            if (ngx_http_asgard_gateway_post_job(r, ctx) == NGX_OK) {
                return NGX_AGAIN;
            }
            asg_gateway_pool_done(ctx->call, NULL, ngx_http_asgard_now_ms(), v);
            continue;
        }

        break;
    }

    ctx->verdict = ngx_palloc(r->pool, sizeof(asg_gateway_verdict_t));
    if (ctx->verdict == NULL) {
        asg_free(v->body);
        return NGX_ERROR;
    }

    *ctx->verdict = *v;
    ctx->gateway_state = NGX_HTTP_ASGARD_GW_PROXYING;

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


int
ngx_http_asgard_gateway_api(ngx_http_request_t *r)
{
    int                          route;
    ngx_http_asgard_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    if (alcf->gateway_models) {
        /* Anthropic's clients send anthropic-version on every call, the models list included. */
        return ngx_http_asgard_find_header(r, "anthropic-version", sizeof("anthropic-version") - 1)
               ? ASG_API_ANTHROPIC : ASG_API_OPENAI;
    }

    if (!alcf->gateway) {
        return 0;
    }

    route = asg_gateway_route((const char *) r->uri.data, r->uri.len);

    return asg_gateway_route_api(route);
}


/* Answers with the gateway's own error in the request's API family's shape. */
static ngx_int_t
ngx_http_asgard_gateway_error(ngx_http_request_t *r, ngx_uint_t status, const char *code,
    const char *message)
{
    asg_http_error_t  err;

    asg_gateway_error(ngx_http_asgard_gateway_api(r), (int) status, code, message, &err);
    if (err.body == NULL) {
        return status;
    }

    return ngx_http_asgard_send_error(r, &err);
}


/* Called by the access handler once the caller is authenticated. */
ngx_int_t
ngx_http_asgard_gateway_access(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx)
{
    ngx_int_t                        rc;
    ngx_str_t                        body, id, *data_class;
    ngx_pool_cleanup_t              *cln;
    asg_gateway_request_t            req;
    asg_http_error_t                 err;
    asg_gateway_verdict_t            verdict;
    ngx_http_asgard_loc_conf_t      *alcf;
    ngx_http_asgard_call_holder_t   *holder;
    char                             request_id[33];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    /* A user token never calls a service: neither the chat nor the models list. */
    if (ctx->principal.kind != ASG_CRED_PROJECT) {
        asg_gateway_user_token_error(ngx_http_asgard_gateway_api(r), &err);
        /* no retry changes the credential's kind (the SDKs honour x-should-retry) */
        if (ngx_http_asgard_add_header(r, "x-should-retry", "false") == NULL) {
            asg_free(err.body);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_asgard_gateway_finish(r, ngx_http_asgard_send_error(r, &err));
    }

    if (!alcf->gateway) {
        return NGX_DECLINED;   /* the models list: answered by its content handler */
    }

    switch (ctx->gateway_state) {

    case NGX_HTTP_ASGARD_GW_START:

        ctx->route = asg_gateway_route((const char *) r->uri.data, r->uri.len);
        if (ctx->route < 0) {
            return ngx_http_asgard_gateway_finish(r,
                       ngx_http_asgard_gateway_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                           "no such gateway route: asgard_gateway serves paths ending in /chat, "
                           "/chat/completions, /embeddings, /responses, /messages or "
                           "/messages/count_tokens"));
        }

        if (r->method != NGX_HTTP_POST) {
            ngx_http_asgard_add_header(r, "Allow", "POST");
            return ngx_http_asgard_gateway_finish(r,
                       ngx_http_asgard_gateway_error(r, NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
                                                     "use POST for this gateway route"));
        }

        if (r->headers_in.content_length_n > (off_t) alcf->max_body_size) {
            return ngx_http_asgard_gateway_finish(r,
                       ngx_http_asgard_gateway_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                           "body_too_large", "the request body exceeds asgard_max_body_size"));
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
                       ngx_http_asgard_gateway_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                           "body_too_large", "the request body exceeds asgard_max_body_size"));
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

        ngx_memzero(&req, sizeof(req));
        req.request_id = request_id;
        req.body.data = (const char *) body.data;
        req.body.len = body.len;
        req.padded = 1;
        req.route = ctx->route;
        data_class = ngx_http_asgard_find_header(r, "x-asgard-data-class",
                                                 sizeof("x-asgard-data-class") - 1);
        if (data_class != NULL) {
            req.data_class.data = (const char *) data_class->data;
            req.data_class.len = data_class->len;
        }
        req.now_ms = ngx_http_asgard_now_ms();

        ctx->call = asg_gateway_begin(&ctx->principal, &req, &verdict);
        if (ctx->call == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        holder = cln->data;
        holder->request = r;
        holder->call = ctx->call;
        holder->ctx = ctx;
        cln->handler = ngx_http_asgard_call_cleanup;

        rc = ngx_http_asgard_gateway_advance(r, ctx, &verdict);
        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* decided: on as in the next state */

        /* fall through */

    case NGX_HTTP_ASGARD_GW_PROXYING:

        if (ctx->verdict != NULL && ctx->verdict->status != 0) {
            return ngx_http_asgard_gateway_finish(r, ngx_http_asgard_send_verdict(r, ctx->verdict));
        }

        return NGX_DECLINED;
    }

    return NGX_DECLINED;
}



/* The model id of ".../models/{id}" (decoded: an alias's "/" may come as %2F), or an empty
 * string for the list (".../models" or ".../models/"). */
static void
ngx_http_asgard_model_id(ngx_http_request_t *r, asg_str_t *id)
{
    u_char  *p, *end;

    id->data = NULL;
    id->len = 0;

    end = r->uri.data + r->uri.len;

    for (p = r->uri.data; end - p >= (ssize_t) sizeof("/models") - 1; p++) {
        p = ngx_strlchr(p, end, '/');
        if (p == NULL || end - p < (ssize_t) sizeof("/models") - 1) {
            return;
        }
        if (ngx_strncmp(p, "/models", sizeof("/models") - 1) != 0) {
            continue;
        }
        p += sizeof("/models") - 1;
        if (p < end && *p != '/') {
            continue;
        }
        if (p + 1 < end) {
            id->data = (const char *) p + 1;
            id->len = end - (p + 1);
        }
        return;
    }
}


ngx_int_t
ngx_http_asgard_gateway_models_handler(ngx_http_request_t *r)
{
    asg_str_t               id;
    asg_http_error_t        out;
    ngx_http_asgard_ctx_t  *ctx;

    if (r->method != NGX_HTTP_GET && r->method != NGX_HTTP_HEAD) {
        if (ngx_http_asgard_add_header(r, "Allow", "GET, HEAD") == NULL) {
            return NGX_ERROR;
        }
        return ngx_http_asgard_gateway_error(r, NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
                                             "use GET for the models list");
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);
    if (ctx == NULL || ctx->auth_state != NGX_HTTP_ASGARD_AUTH_DONE) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_asgard_model_id(r, &id);
    asg_gateway_models(&ctx->principal, id, ngx_http_asgard_gateway_api(r), ngx_http_asgard_now_ms(),
                       &out);

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


/* Sends what the outbox kept while the connection was down. */
static void
ngx_http_asgard_settle_timer_handler(ngx_event_t *ev)
{
    ngx_http_asgard_gateway_send_outbox();

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, 100);
    }
}


void
ngx_http_asgard_gateway_flush_outbox(void)
{
    if (ngx_http_asgard_outbox_event.posted) {
        ngx_delete_posted_event(&ngx_http_asgard_outbox_event);
    }

    if (ngx_http_asgard_batch_event.posted) {
        ngx_delete_posted_event(&ngx_http_asgard_batch_event);
        ngx_http_asgard_batch_handler(&ngx_http_asgard_batch_event);
    }

    ngx_http_asgard_gateway_send_outbox();
    ngx_http_asgard_redis_write_out(1000);
}


void
ngx_http_asgard_gateway_timers_start(ngx_cycle_t *cycle)
{
    ngx_http_asgard_timer_init(&ngx_http_asgard_outbox_event, ngx_http_asgard_outbox_handler,
                               cycle->log);
    ngx_http_asgard_timer_init(&ngx_http_asgard_batch_event, ngx_http_asgard_batch_handler,
                               cycle->log);
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
