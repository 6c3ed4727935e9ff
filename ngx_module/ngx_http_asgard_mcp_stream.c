/* The event streams of /mcp: a session's (GET /mcp, 2025 revisions) and subscriptions/listen's
 * (2026-07-28, a POST whose answer is the stream). A worker keeps its open streams,
 * looks at the resource change feed for all of them once a second on the thread pool (one task at
 * a time, only while a stream is open), writes what the core composed for each, keeps quiet
 * streams alive with a comment (asgard_mcp_stream_keepalive), and ends a stream at its session's end of life (at most an hour),
 * when its client goes, or when the worker exits. */
#include "ngx_http_asgard_module.h"


#define NGX_HTTP_ASGARD_FEED_INTERVAL   1000     /* ms between two looks at the feed */
#define NGX_HTTP_ASGARD_STREAM_LIFE     3600000  /* ms a stream lasts at most (the client reconnects) */


typedef struct {
    ngx_queue_t          queue;
    ngx_http_request_t  *request;      /* NULL once ended */
    ngx_uint_t           id;           /* matches a look's answers to the streams still open */
    u_char               session[32];
    ngx_str_t            filter;       /* a listen stream's filter, for the core ("" for a GET) */
    ngx_str_t            close;        /* what ends it gracefully: the listen result ("" for a GET) */
    int64_t              seq;          /* the last change this stream was told of */
    int64_t              until_ms;
    ngx_msec_t           written;      /* when it last wrote */
} ngx_http_asgard_listener_t;


/* A look at the feed: the streams' cursors when it left, their answers when it is back. */
typedef struct {
    asg_mcp_feed_t   feed;
    ngx_uint_t      *ids;
} ngx_http_asgard_feed_look_t;


static ngx_queue_t  ngx_http_asgard_listeners;
static ngx_uint_t   ngx_http_asgard_listeners_ready;
static ngx_uint_t   ngx_http_asgard_listener_ids;
static ngx_uint_t   ngx_http_asgard_feed_busy;
static ngx_event_t  ngx_http_asgard_feed_timer;


static const char  ngx_http_asgard_stream_alive[] = ": keep-alive\n\n";


static void ngx_http_asgard_listener_writer(ngx_http_request_t *r);


static void
ngx_http_asgard_listener_cleanup(void *data)
{
    ngx_http_asgard_listener_t  *l = data;

    if (l->request != NULL) {
        ngx_queue_remove(&l->queue);
        l->request = NULL;
    }
}


/* Ends a stream: with NGX_OK its closing event (if it has one) and last chunk go out, otherwise
 * the request is cut with rc. */
static void
ngx_http_asgard_listener_end(ngx_http_asgard_listener_t *l, ngx_int_t rc)
{
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_connection_t    *c;
    ngx_http_request_t  *r = l->request;

    if (r == NULL) {
        return;
    }

    c = r->connection;
    ngx_queue_remove(&l->queue);
    l->request = NULL;

    if (rc == NGX_OK) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            rc = NGX_ERROR;

        } else {
            if (l->close.len) {
                b->pos = l->close.data;
                b->last = l->close.data + l->close.len;
                b->memory = 1;
            }
            b->last_buf = (r == r->main);
            b->last_in_chain = 1;
            out.buf = b;
            out.next = NULL;
            rc = ngx_http_output_filter(r, &out);
        }
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* What a write left for nginx to send waits for the socket, as long as send_timeout allows. */
static void
ngx_http_asgard_listener_wait(ngx_http_request_t *r, ngx_http_asgard_listener_t *l)
{
    if (ngx_http_asgard_wait_to_send(r, ngx_http_asgard_listener_writer) == NGX_ERROR) {
        ngx_http_asgard_listener_end(l, NGX_ERROR);
    }
}


static ngx_http_asgard_listener_t *
ngx_http_asgard_listener_of(ngx_http_request_t *r)
{
    return ngx_http_asgard_cleanup_data(r, ngx_http_asgard_listener_cleanup);
}


static void
ngx_http_asgard_listener_writer(ngx_http_request_t *r)
{
    ngx_connection_t            *c = r->connection;
    ngx_http_asgard_listener_t  *l;

    l = ngx_http_asgard_listener_of(r);
    if (l == NULL || l->request == NULL) {
        return;
    }

    if (c->write->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT, "asgard: client timed out on an event stream");
        c->timedout = 1;
        ngx_http_asgard_listener_end(l, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_asgard_listener_end(l, NGX_ERROR);
        return;
    }

    ngx_http_asgard_listener_wait(r, l);
}


/* Writes len bytes (copied) to a stream; NGX_ERROR ends it. */
static void
ngx_http_asgard_listener_write(ngx_http_asgard_listener_t *l, const char *data, size_t len)
{
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r = l->request;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        ngx_http_asgard_listener_end(l, NGX_ERROR);
        return;
    }

    b->last = ngx_cpymem(b->last, data, len);
    b->flush = 1;
    out.buf = b;
    out.next = NULL;

    l->written = ngx_current_msec;

    if (ngx_http_output_filter(r, &out) == NGX_ERROR) {
        ngx_http_asgard_listener_end(l, NGX_ERROR);
        return;
    }

    ngx_http_asgard_listener_wait(r, l);
}


static ngx_http_asgard_listener_t *
ngx_http_asgard_listener_find(ngx_uint_t id)
{
    ngx_queue_t                 *q;
    ngx_http_asgard_listener_t  *l;

    for (q = ngx_queue_head(&ngx_http_asgard_listeners);
         q != ngx_queue_sentinel(&ngx_http_asgard_listeners);
         q = ngx_queue_next(q))
    {
        l = ngx_queue_data(q, ngx_http_asgard_listener_t, queue);
        if (l->id == id) {
            return l;
        }
    }

    return NULL;
}


static void
ngx_http_asgard_feed_work(void *data, ngx_log_t *log)
{
    ngx_http_asgard_feed_look_t  *look = data;

    asg_mcp_feed_poll(&look->feed);
}


/* The look is back: each stream still open gets its events and its new cursor. */
static void
ngx_http_asgard_feed_done(void *data)
{
    size_t                        i;
    ngx_http_asgard_listener_t   *l;
    ngx_http_asgard_feed_look_t  *look = data;
    asg_mcp_feed_t               *feed = &look->feed;

    ngx_http_asgard_feed_busy = 0;

    if (feed->log_line[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "%s", feed->log_line);
    }

    for (i = 0; i < feed->count; i++) {
        l = ngx_http_asgard_listener_find(look->ids[i]);
        if (l != NULL && l->request != NULL) {
            l->seq = feed->seq[i];
            if (feed->events[i] != NULL) {
                ngx_http_asgard_listener_write(l, feed->events[i], feed->events_len[i]);
            }
            if (feed->ended[i] && l->request != NULL) {
                ngx_http_asgard_listener_end(l, NGX_OK);
            }
        }
        asg_free(feed->events[i]);
    }
}


static void
ngx_http_asgard_feed_look(void)
{
    u_char                       *p, *copy;
    size_t                        n, i, size, text;
    size_t                       *filters_len;
    const char                  **filters;
    ngx_queue_t                  *q;
    ngx_thread_task_t            *task;
    ngx_http_asgard_listener_t   *l;
    ngx_http_asgard_feed_look_t  *look;

    n = 0;
    text = 0;
    for (q = ngx_queue_head(&ngx_http_asgard_listeners);
         q != ngx_queue_sentinel(&ngx_http_asgard_listeners);
         q = ngx_queue_next(q))
    {
        l = ngx_queue_data(q, ngx_http_asgard_listener_t, queue);
        text += l->filter.len;
        n++;
    }

    size = sizeof(ngx_http_asgard_feed_look_t)
           + n * (sizeof(ngx_uint_t) + 32 + 2 * sizeof(int64_t) + 2 * sizeof(char *) + 2 * sizeof(size_t)
                  + sizeof(int))
           + text;

    look = ngx_http_asgard_detached_task((ngx_cycle_t *) ngx_cycle, size, ngx_http_asgard_feed_work,
                                         ngx_http_asgard_feed_done, &task);
    if (look == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "asgard: no memory to look at the resource change feed");
        return;
    }

    /* (The pointers first, then the 8-byte values, then the bytes: every member stays aligned.) */
    p = (u_char *) (look + 1);
    look->feed.events = (char **) p;
    p += n * sizeof(char *);
    look->feed.events_len = (size_t *) p;
    p += n * sizeof(size_t);
    filters = (const char **) p;
    look->feed.filters = filters;
    p += n * sizeof(char *);
    filters_len = (size_t *) p;
    look->feed.filters_len = filters_len;
    p += n * sizeof(size_t);
    look->ids = (ngx_uint_t *) p;
    p += n * sizeof(ngx_uint_t);
    look->feed.after = (int64_t *) p;
    p += n * sizeof(int64_t);
    look->feed.seq = (int64_t *) p;
    p += n * sizeof(int64_t);
    look->feed.ended = (int *) p;
    p += n * sizeof(int);
    look->feed.sessions = (const unsigned char (*)[32]) p;   /* (bytes: any alignment) */
    look->feed.count = n;
    copy = p + 32 * n;

    i = 0;
    for (q = ngx_queue_head(&ngx_http_asgard_listeners);
         q != ngx_queue_sentinel(&ngx_http_asgard_listeners);
         q = ngx_queue_next(q))
    {
        l = ngx_queue_data(q, ngx_http_asgard_listener_t, queue);
        look->ids[i] = l->id;
        ((int64_t *) look->feed.after)[i] = l->seq;
        /* (The filter lives in the request's pool: a stream that ends meanwhile frees it, so the
         * look takes a copy in its own memory below.) */
        filters[i] = NULL;
        filters_len[i] = l->filter.len;
        if (l->filter.len) {
            filters[i] = (const char *) copy;
            copy = ngx_cpymem(copy, l->filter.data, l->filter.len);
        }
        ngx_memcpy(p + 32 * i, l->session, 32);
        i++;
    }

    if (ngx_http_asgard_detached_post((ngx_cycle_t *) ngx_cycle, task) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "asgard: the resource change feed could not be queued");
        return;
    }

    ngx_http_asgard_feed_busy = 1;
}


/* Once a second while streams are open: ends the streams past their life (all of them when the
 * worker exits), keeps the quiet ones alive, and looks at the feed. */
static void
ngx_http_asgard_feed_tick(ngx_event_t *ev)
{
    int64_t                      now_ms;
    ngx_queue_t                  *q, *next;
    ngx_uint_t                    exiting;
    ngx_http_asgard_listener_t   *l;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_asgard_module);
    now_ms = ngx_http_asgard_now_ms();
    exiting = ngx_exiting || ngx_quit || ngx_terminate;

    for (q = ngx_queue_head(&ngx_http_asgard_listeners);
         q != ngx_queue_sentinel(&ngx_http_asgard_listeners);
         q = next)
    {
        next = ngx_queue_next(q);
        l = ngx_queue_data(q, ngx_http_asgard_listener_t, queue);

        if (exiting || now_ms >= l->until_ms) {
            ngx_http_asgard_listener_end(l, NGX_OK);

        } else if (ngx_current_msec - l->written >= amcf->stream_keepalive) {
            ngx_http_asgard_listener_write(l, ngx_http_asgard_stream_alive,
                                           sizeof(ngx_http_asgard_stream_alive) - 1);
        }
    }

    if (exiting || ngx_queue_empty(&ngx_http_asgard_listeners)) {
        return;   /* armed again by the next stream */
    }

    if (!ngx_http_asgard_feed_busy) {
        ngx_http_asgard_feed_look();
    }

    ngx_add_timer(ev, NGX_HTTP_ASGARD_FEED_INTERVAL);
}


/* Opens the stream the core allowed: headers, a first comment (so the client and any proxy see the
 * stream at once), then the worker keeps it. Returns NGX_DONE, or the rc to finalize with. */
ngx_int_t
ngx_http_asgard_mcp_listen(ngx_http_request_t *r, asg_mcp_response_t *out)
{
    int64_t                      life;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_chain_t                  first;
    ngx_pool_cleanup_t          *cln;
    ngx_http_asgard_listener_t  *l;

    if (!ngx_http_asgard_listeners_ready) {
        ngx_queue_init(&ngx_http_asgard_listeners);
        ngx_http_asgard_timer_init(&ngx_http_asgard_feed_timer, ngx_http_asgard_feed_tick, ngx_cycle->log);
        /* Not cancelable: an exiting worker waits for the next tick, which ends the open streams
         * (nginx would otherwise exit with their sockets open). */
        ngx_http_asgard_feed_timer.cancelable = 0;
        ngx_http_asgard_listeners_ready = 1;
    }

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_asgard_listener_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    l = cln->data;
    ngx_memzero(l, sizeof(ngx_http_asgard_listener_t));
    cln->handler = ngx_http_asgard_listener_cleanup;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "text/event-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    if (ngx_http_asgard_add_header(r, "Cache-Control", "no-cache") == NULL
        || ngx_http_asgard_add_header(r, "X-Accel-Buffering", "no") == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    /* The core's first bytes (a comment, or the listen acknowledgement) and what the stream keeps. */
    b = ngx_create_temp_buf(r->pool, out->body_len ? out->body_len : 1);
    l->filter.data = ngx_pnalloc(r->pool, out->stream_filter_len + 1);
    l->close.data = ngx_pnalloc(r->pool, out->stream_close_len + 1);
    if (b == NULL || l->filter.data == NULL || l->close.data == NULL) {
        return NGX_ERROR;
    }
    b->last = ngx_cpymem(b->last, out->body, out->body_len);
    b->flush = 1;
    first.buf = b;
    first.next = NULL;
    l->filter.len = out->stream_filter_len;
    if (l->filter.len) {
        ngx_memcpy(l->filter.data, out->stream_filter, l->filter.len);
    }
    l->close.len = out->stream_close_len;
    if (l->close.len) {
        ngx_memcpy(l->close.data, out->stream_close, l->close.len);
    }

    if (ngx_http_output_filter(r, &first) == NGX_ERROR) {
        return NGX_ERROR;
    }

    life = ngx_http_asgard_now_ms() + NGX_HTTP_ASGARD_STREAM_LIFE;
    l->request = r;
    l->id = ++ngx_http_asgard_listener_ids;
    ngx_memcpy(l->session, out->stream_session, 32);
    l->seq = out->stream_seq;
    l->until_ms = out->stream_until_ms < life ? out->stream_until_ms : life;
    l->written = ngx_current_msec;
    ngx_queue_insert_tail(&ngx_http_asgard_listeners, &l->queue);

    r->read_event_handler = ngx_http_test_reading;

    /* (Not yet the worker's to end: a failure here is the caller's to answer.) */
    if (ngx_http_asgard_wait_to_send(r, ngx_http_asgard_listener_writer) == NGX_ERROR) {
        ngx_queue_remove(&l->queue);
        l->request = NULL;
        return NGX_ERROR;
    }

    /* The stream is the worker's now: one more reference, dropped when it ends. */
    r->main->count++;

    if (!ngx_http_asgard_feed_timer.timer_set) {
        ngx_add_timer(&ngx_http_asgard_feed_timer, NGX_HTTP_ASGARD_FEED_INTERVAL);
    }

    return NGX_DONE;
}
