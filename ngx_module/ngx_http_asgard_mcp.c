/* Content handler for /mcp: reads the body, lets the core answer on the event loop when no I/O is
 * needed, otherwise on the thread pool; then sends the answer and remembers session state. A
 * tools/call that asks for progress has its notifications streamed as Server-Sent Events while the
 * pool thread works, then its answer as the last event. */
#include "ngx_http_asgard_module.h"


typedef struct {
    asg_mcp_request_t     in;
    asg_mcp_response_t    out;
} ngx_http_asgard_mcp_task_t;


/* A tools/call's progress stream, in the request's pool. The queue is the task's: the task frees
 * it, and the stream stops looking at it when the request is answered or goes away. */
typedef struct {
    ngx_event_t          tick;       /* drains the queue while the task runs */
    asg_mcp_progress_t  *progress;   /* NULL once the stream no longer reads it */
    ngx_http_request_t  *request;
    unsigned             started:1;  /* the headers are out: the answer is a stream */
    unsigned             failed:1;   /* writing to the client failed: stop until the answer */
} ngx_http_asgard_mcp_stream_t;


/* How often the event loop looks for progress while a tools/call runs (ms). */
#define NGX_HTTP_ASGARD_PROGRESS_TICK  50


static const char ngx_http_asgard_too_large[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,"
    "\"message\":\"Payload Too Large: the request body exceeds asgard_max_body_size\"}}";


static asg_str_t
ngx_http_asgard_header_str(ngx_http_request_t *r, const char *name, size_t len)
{
    asg_str_t   s;
    ngx_str_t  *v;

    v = ngx_http_asgard_find_header(r, name, len);
    s.data = v ? (const char *) v->data : NULL;
    s.len = v ? v->len : 0;

    return s;
}


/* What every answer does before it is sent: logs the core's failure, remembers session state,
 * adds the session and Allow headers. */
static ngx_int_t
ngx_http_asgard_mcp_prepare(ngx_http_request_t *r, asg_mcp_response_t *out)
{
    uint8_t                       state;
    ngx_msec_t                    ttl;
    int64_t                       left;
    ngx_table_elt_t              *h;
    ngx_http_asgard_main_conf_t  *amcf;

    if (out->log_line[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "%s", out->log_line);
    }

    if (out->cache_state != ASG_SESSION_UNKNOWN) {
        amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);
        left = out->cache_until_ms - ngx_http_asgard_now_ms();
        ttl = left > 0 ? (ngx_msec_t) left : 0;
        if (out->cache_state == ASG_SESSION_LIVE && ttl > amcf->cache_ttl) {
            ttl = amcf->cache_ttl;
        }
        state = (uint8_t) out->cache_state;
        ngx_http_asgard_cache_put(amcf->cache_zone, out->cache_key, &state, 1, ttl);
    }

    if (out->session_id[0] != '\0'
        && ngx_http_asgard_add_header(r, "Mcp-Session-Id", out->session_id) == NULL)
    {
        asg_free(out->body);
        out->body = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (out->allow[0] != '\0') {
        h = ngx_http_asgard_add_header(r, "Allow", out->allow);
        if (h == NULL) {
            asg_free(out->body);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_asgard_mcp_respond(ngx_http_request_t *r, ngx_http_asgard_mcp_task_t *t)
{
    ngx_int_t            rc;
    asg_mcp_response_t  *out;

    out = &t->out;

    rc = ngx_http_asgard_mcp_prepare(r, out);
    if (rc != NGX_OK) {
        asg_free(out->stream_filter);
        asg_free(out->stream_close);
        out->stream_filter = NULL;
        out->stream_close = NULL;
        return rc;
    }

    if (out->opens_stream) {
        rc = ngx_http_asgard_mcp_listen(r, out);
        asg_free(out->body);
        asg_free(out->stream_filter);
        asg_free(out->stream_close);
        out->body = NULL;
        out->stream_filter = NULL;
        out->stream_close = NULL;
        return rc;
    }

    rc = ngx_http_asgard_send(r, out->http_status,
                              out->content_type[0] ? out->content_type : NULL,
                              out->body, out->body_len);
    asg_free(out->body);
    out->body = NULL;

    return rc;
}


static void
ngx_http_asgard_mcp_stream_cleanup(void *data)
{
    ngx_http_asgard_mcp_stream_t  *st = data;

    if (st->tick.timer_set) {
        ngx_del_timer(&st->tick);
    }

    st->progress = NULL;
}


static ngx_http_asgard_mcp_stream_t *
ngx_http_asgard_mcp_stream_of(ngx_http_request_t *r)
{
    return ngx_http_asgard_cleanup_data(r, ngx_http_asgard_mcp_stream_cleanup);
}


/* Sends events, then more (each len bytes, either NULL; ownership of both is taken), the
 * headers first if they are not out yet; last ends the answer. */
static ngx_int_t
ngx_http_asgard_mcp_stream_send(ngx_http_request_t *r, ngx_http_asgard_mcp_stream_t *st,
    char *events, size_t len, char *more, size_t more_len, ngx_uint_t last)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    if (!st->started) {
        r->headers_out.status = NGX_HTTP_OK;
        r->headers_out.content_length_n = -1;
        ngx_str_set(&r->headers_out.content_type, "text/event-stream");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        h = ngx_http_asgard_add_header(r, "Cache-Control", "no-cache");
        if (h == NULL) {
            asg_free(events);
            asg_free(more);
            return NGX_ERROR;
        }

        rc = ngx_http_send_header(r);
        if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
            asg_free(events);
            asg_free(more);
            return rc == NGX_OK ? NGX_ERROR : rc;
        }
        st->started = 1;
    }

    b = (len + more_len) ? ngx_create_temp_buf(r->pool, len + more_len) : ngx_calloc_buf(r->pool);
    if (b == NULL) {
        asg_free(events);
        asg_free(more);
        return NGX_ERROR;
    }
    if (len) {
        b->last = ngx_cpymem(b->last, events, len);
    }
    if (more_len) {
        b->last = ngx_cpymem(b->last, more, more_len);
    }
    asg_free(events);
    asg_free(more);

    b->flush = 1;
    b->last_buf = last && r == r->main;
    b->last_in_chain = 1;
    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* While the task runs: whatever progress it reported goes out now. */
static void
ngx_http_asgard_mcp_tick(ngx_event_t *ev)
{
    size_t                         len;
    char                          *events;
    unsigned                       aio;
    ngx_int_t                      rc;
    ngx_http_request_t            *r;
    ngx_http_asgard_mcp_stream_t  *st;

    /* (The event's data is the connection, as nginx's debug log of timers expects.) */
    st = (ngx_http_asgard_mcp_stream_t *)
             ((u_char *) ev - offsetof(ngx_http_asgard_mcp_stream_t, tick));

    if (st->progress == NULL || st->failed) {
        return;
    }

    r = st->request;
    len = asg_mcp_progress_take(st->progress, &events);

    /* (r->aio is set while the task is out, and makes the copy filter hold every buffer; the task
     * writes nothing to the client, so the events may go out past it: nginx's own aio is not in
     * play on this request.) Without new events, what a slow client left behind is pushed on. */
    aio = r->aio;
    r->aio = 0;
    if (len > 0) {
        rc = ngx_http_asgard_mcp_stream_send(r, st, events, len, NULL, 0, 0);
    } else {
        rc = st->started ? ngx_http_output_filter(r, NULL) : NGX_OK;
    }
    r->aio = aio;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0, "asgard: progress tick: %uz bytes, rc %i", len, rc);

    if (rc == NGX_ERROR) {
        /* The client is gone or the headers failed: the answer finds out when it comes. */
        st->failed = 1;
        return;
    }

    ngx_add_timer(&st->tick, NGX_HTTP_ASGARD_PROGRESS_TICK);
}


/* The answer of a call that asked for progress: an event after the others when any went out or
 * is waiting, else an ordinary answer. */
static ngx_int_t
ngx_http_asgard_mcp_stream_answer(ngx_http_request_t *r, ngx_http_asgard_mcp_task_t *t,
    ngx_http_asgard_mcp_stream_t *st)
{
    size_t               len, answer_len;
    char                *events, *answer;
    ngx_int_t            rc;
    asg_mcp_response_t  *out = &t->out;

    if (st->tick.timer_set) {
        ngx_del_timer(&st->tick);
    }
    st->progress = NULL;

    if (st->failed) {
        /* Writing to the client failed: nothing more can go out. */
        asg_mcp_progress_free(t->in.progress);
        t->in.progress = NULL;
        asg_free(out->body);
        out->body = NULL;
        return NGX_ERROR;
    }

    len = asg_mcp_progress_take(t->in.progress, &events);

    if (!st->started && len == 0) {
        asg_mcp_progress_free(t->in.progress);
        t->in.progress = NULL;
        return ngx_http_asgard_mcp_respond(r, t);
    }

    rc = ngx_http_asgard_mcp_prepare(r, out);
    if (rc != NGX_OK) {
        asg_free(events);
        asg_mcp_progress_free(t->in.progress);
        t->in.progress = NULL;
        return st->started ? NGX_ERROR : rc;
    }

    /* The answer, framed as an event by the core, behind the progress. */
    if (out->body != NULL) {
        asg_mcp_progress_end(t->in.progress, out->body, out->body_len);
    }
    asg_free(out->body);
    out->body = NULL;

    answer_len = asg_mcp_progress_take(t->in.progress, &answer);
    asg_mcp_progress_free(t->in.progress);
    t->in.progress = NULL;

    if (answer_len == 0) {
        asg_free(events);
        return st->started ? NGX_ERROR : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_asgard_mcp_stream_send(r, st, events, len, answer, answer_len, 1);
}


static void
ngx_http_asgard_mcp_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_mcp_task_t  *t = data;

    t->in.allow_io = 1;
    asg_mcp_handle(&t->in, &t->out);
}


static void
ngx_http_asgard_mcp_done(ngx_http_request_t *r, void *data)
{
    ngx_http_asgard_mcp_task_t    *t = data;
    ngx_http_asgard_mcp_stream_t  *st;

    st = t->in.progress ? ngx_http_asgard_mcp_stream_of(r) : NULL;

    if (st != NULL) {
        ngx_http_finalize_request(r, ngx_http_asgard_mcp_stream_answer(r, t, st));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_asgard_mcp_respond(r, t));
}


static const char ngx_http_asgard_mcp_late[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,"
    "\"message\":\"Service Unavailable: Asgard's database did not answer within asgard_io_timeout; "
    "try again shortly\"}}";


static const char ngx_http_asgard_mcp_late_event[] =
    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,"
    "\"message\":\"Service Unavailable: Asgard's database did not answer within asgard_io_timeout; "
    "try again shortly\"}}\n\n";


static ngx_int_t
ngx_http_asgard_mcp_expired(ngx_http_request_t *r)
{
    char                          *event;
    size_t                         len;
    ngx_http_asgard_mcp_stream_t  *st;

    st = ngx_http_asgard_mcp_stream_of(r);

    if (st != NULL) {
        /* The task keeps its queue (its completion frees it); the stream stops reading it. */
        if (st->tick.timer_set) {
            ngx_del_timer(&st->tick);
        }
        st->progress = NULL;

        if (st->started) {
            if (st->failed) {
                return NGX_ERROR;
            }
            len = sizeof(ngx_http_asgard_mcp_late_event) - 1;
            event = ngx_alloc(len, r->connection->log);
            if (event == NULL) {
                return NGX_ERROR;
            }
            ngx_memcpy(event, ngx_http_asgard_mcp_late_event, len);
            return ngx_http_asgard_mcp_stream_send(r, st, event, len, NULL, 0, 1);
        }
    }

    return ngx_http_asgard_send(r, NGX_HTTP_SERVICE_UNAVAILABLE, "application/json",
                                ngx_http_asgard_mcp_late, sizeof(ngx_http_asgard_mcp_late) - 1);
}


/* The task came back after its request was answered: what the core made is not needed. */
static void
ngx_http_asgard_mcp_forget(void *data)
{
    ngx_http_asgard_mcp_task_t  *t = data;

    asg_free(t->out.body);
    asg_free(t->out.stream_filter);
    asg_free(t->out.stream_close);
    asg_mcp_progress_free(t->in.progress);
}


static u_char *
ngx_http_asgard_mcp_copy(u_char *p, asg_str_t *s)
{
    u_char  *at = p;

    if (s->data == NULL) {
        return p;
    }

    p = ngx_cpymem(p, s->data, s->len);
    s->data = (const char *) at;

    return p;
}


/* The request's task: a copy of what the core reads, in the task's own memory (the request may
 * be answered, and freed, before the thread is done with it). */
static ngx_int_t
ngx_http_asgard_mcp_post(ngx_http_request_t *r, ngx_http_asgard_mcp_task_t *loop)
{
    u_char                          *p;
    size_t                           size;
    asg_mcp_request_t               *in;
    asg_mcp_progress_t              *progress;
    ngx_pool_cleanup_t              *cln;
    ngx_http_asgard_mcp_task_t      *t;
    ngx_http_asgard_mcp_stream_t    *st;
    ngx_http_asgard_request_task_t  *task;

    in = &loop->in;
    size = sizeof(ngx_http_asgard_mcp_task_t) + sizeof(asg_principal_t)
           + in->http_method.len + in->body.len + ASG_BODY_PADDING + in->content_type.len
           + in->accept.len + in->protocol_version.len + in->session_id.len + in->mcp_method.len
           + in->mcp_name.len;

    t = ngx_http_asgard_request_task(r, size, ngx_http_asgard_mcp_thread, ngx_http_asgard_mcp_done,
                                     ngx_http_asgard_mcp_expired, ngx_http_asgard_mcp_forget,
                                     &task);
    if (t == NULL) {
        return NGX_ERROR;
    }

    t->in = *in;

    p = (u_char *) (t + 1);
    ngx_memcpy(p, in->principal, sizeof(asg_principal_t));
    t->in.principal = (asg_principal_t *) p;
    p += sizeof(asg_principal_t);

    p = ngx_http_asgard_mcp_copy(p, &t->in.body);
    ngx_memzero(p, ASG_BODY_PADDING);   /* the body's padding, as collect_body leaves it */
    p += ASG_BODY_PADDING;
    p = ngx_http_asgard_mcp_copy(p, &t->in.http_method);
    p = ngx_http_asgard_mcp_copy(p, &t->in.content_type);
    p = ngx_http_asgard_mcp_copy(p, &t->in.accept);
    p = ngx_http_asgard_mcp_copy(p, &t->in.protocol_version);
    p = ngx_http_asgard_mcp_copy(p, &t->in.session_id);
    p = ngx_http_asgard_mcp_copy(p, &t->in.mcp_method);
    (void) ngx_http_asgard_mcp_copy(p, &t->in.mcp_name);

    st = NULL;
    t->in.progress = NULL;

    if (loop->out.wants_progress) {
        /* Without memory for either, the call simply answers without progress. */
        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_asgard_mcp_stream_t));
        t->in.progress = cln ? asg_mcp_progress_new() : NULL;
        if (t->in.progress != NULL) {
            st = cln->data;
            ngx_memzero(st, sizeof(ngx_http_asgard_mcp_stream_t));
            st->progress = t->in.progress;
            st->request = r;
            st->tick.handler = ngx_http_asgard_mcp_tick;
            st->tick.data = r->connection;
            st->tick.log = r->connection->log;
            cln->handler = ngx_http_asgard_mcp_stream_cleanup;
        }
    }

    progress = t->in.progress;

    if (ngx_http_asgard_request_task_post(r, task) != NGX_OK) {
        /* The task's memory is freed with it: its queue goes too, and the stream forgets it. */
        if (st != NULL) {
            st->progress = NULL;
        }
        asg_mcp_progress_free(progress);
        return NGX_ERROR;
    }

    if (st != NULL) {
        ngx_add_timer(&st->tick, NGX_HTTP_ASGARD_PROGRESS_TICK);
    }

    return NGX_OK;
}


static void
ngx_http_asgard_mcp_process(ngx_http_request_t *r)
{
    ngx_str_t                     body;
    ngx_http_asgard_ctx_t        *ctx;
    ngx_http_asgard_loc_conf_t   *alcf;
    ngx_http_asgard_main_conf_t  *amcf;
    ngx_http_asgard_mcp_task_t   *t;
    uint8_t                       state;
    u_char                        key[32];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx == NULL || ctx->auth_state != NGX_HTTP_ASGARD_AUTH_DONE) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_http_asgard_collect_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (body.len > alcf->max_body_size) {
        ngx_http_finalize_request(r, ngx_http_asgard_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                  "application/json", ngx_http_asgard_too_large,
                                  sizeof(ngx_http_asgard_too_large) - 1));
        return;
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_asgard_mcp_task_t));
    if (t == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    t->in.http_method.data = (const char *) r->method_name.data;
    t->in.http_method.len = r->method_name.len;
    t->in.body.data = (const char *) body.data;
    t->in.body.len = body.len;
    t->in.content_type = ngx_http_asgard_header_str(r, "content-type", 12);
    t->in.accept = ngx_http_asgard_header_str(r, "accept", 6);
    t->in.protocol_version = ngx_http_asgard_header_str(r, "mcp-protocol-version", 20);
    t->in.session_id = ngx_http_asgard_header_str(r, "mcp-session-id", 14);
    t->in.mcp_method = ngx_http_asgard_header_str(r, "mcp-method", 10);
    t->in.mcp_name = ngx_http_asgard_header_str(r, "mcp-name", 8);
    t->in.principal = &ctx->principal;
    t->in.now_ms = ngx_http_asgard_now_ms();
    t->in.session_state = ASG_SESSION_UNKNOWN;
    t->in.max_batch = (size_t) alcf->mcp_max_batch;
    t->in.max_response_size = alcf->mcp_max_response_size;

    if (t->in.session_id.len > 0) {
        asg_session_cache_key(t->in.session_id.data, t->in.session_id.len, key);
        if (ngx_http_asgard_cache_get(amcf->cache_zone, key, &state, 1) == NGX_OK) {
            t->in.session_state = state;
        }
    }

    asg_mcp_handle(&t->in, &t->out);

    if (!t->out.needs_io) {
        ngx_http_finalize_request(r, ngx_http_asgard_mcp_respond(r, t));
        return;
    }

    if (ngx_http_asgard_mcp_post(r, t) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
    }
}


ngx_int_t
ngx_http_asgard_mcp_handler(ngx_http_request_t *r)
{
    return ngx_http_asgard_read_body(r, ngx_http_asgard_mcp_process, ngx_http_asgard_too_large,
                                     sizeof(ngx_http_asgard_too_large) - 1);
}
