/* Building answers: JSON responses with extra headers, and request header look-ups. */
#include "ngx_http_asgard_module.h"


ngx_table_elt_t *
ngx_http_asgard_add_header(ngx_http_request_t *r, const char *name, const char *value)
{
    size_t            len;
    u_char           *copy;
    ngx_table_elt_t  *h;

    len = ngx_strlen(value);
    copy = ngx_pnalloc(r->pool, len);
    if (copy == NULL) {
        return NULL;
    }
    ngx_memcpy(copy, value, len);

    h = ngx_http_asgard_add_header_ref(r, name, (const char *) copy, len);
    return h;
}


ngx_table_elt_t *
ngx_http_asgard_add_header_ref(ngx_http_request_t *r, const char *name, const char *value,
    size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.len = ngx_strlen(name);
    h->key.data = (u_char *) name;
    h->value.len = len;
    h->value.data = (u_char *) value;

    return h;
}


ngx_str_t *
ngx_http_asgard_find_header(ngx_http_request_t *r, const char *lowcase_name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) lowcase_name, len) == 0)
        {
            return &h[i].value;
        }
    }
}


ngx_int_t
ngx_http_asgard_send(ngx_http_request_t *r, ngx_uint_t status, const char *content_type,
    const char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (content_type != NULL && len > 0) {
        r->headers_out.content_type.len = ngx_strlen(content_type);
        r->headers_out.content_type.data = (u_char *) content_type;
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, body, len);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* Sends an answer built by the core, with its WWW-Authenticate when it has one. */
ngx_int_t
ngx_http_asgard_send_error(ngx_http_request_t *r, asg_http_error_t *err)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    if (err->www_authenticate[0] != '\0') {
        h = ngx_http_asgard_add_header(r, "WWW-Authenticate", err->www_authenticate);
        if (h == NULL) {
            asg_free(err->body);
            return NGX_ERROR;
        }
        r->headers_out.www_authenticate = h;
    }

    rc = ngx_http_asgard_send(r, err->http_status ? err->http_status : 500, "application/json",
                              err->body, err->body_len);
    asg_free(err->body);
    err->body = NULL;

    return rc;
}


ngx_int_t
ngx_http_asgard_collect_body(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t        len;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    static u_char  no_body[ASG_BODY_PADDING];

    body->len = 0;
    body->data = no_body;   /* padded like any body */

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos) : (size_t) (b->last - b->pos);
    }

    /* Zeroed padding behind the body: a NUL for C strings, room for simdjson to read ahead. */
    p = ngx_pnalloc(r->pool, len + ASG_BODY_PADDING);
    if (p == NULL) {
        return NGX_ERROR;
    }
    ngx_memzero(p + len, ASG_BODY_PADDING);

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        if (b->in_file) {
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos, b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NGX_ERROR;
            }
            p += n;
        } else {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    return NGX_OK;
}



/* A thread-pool task or a Redis reply of this request is over: the request may be freed again. */
void
ngx_http_asgard_task_finished(ngx_http_request_t *r)
{
    ngx_http_set_log_request(r->connection->log, r);

    r->main->blocked--;
    r->aio = 0;
}


/* Continues a request after a thread-pool task or a Redis reply (as nginx's own aio handlers do). */
void
ngx_http_asgard_resume(ngx_http_request_t *r)
{
    ngx_connection_t  *c = r->connection;

    if (r->done) {
        c->write->handler(c->write);

    } else {
        r->write_event_handler(r);
        ngx_http_run_posted_requests(c);
    }
}


int64_t
ngx_http_asgard_now_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


/* A content handler's start: a POST's body read into one buffer, a GET's discarded, then next;
 * a declared body over asgard_max_body_size gets 413 with too_large (JSON) before it is read. */
ngx_int_t
ngx_http_asgard_read_body(ngx_http_request_t *r, ngx_http_client_body_handler_pt next,
    const char *too_large, size_t len)
{
    ngx_int_t                    rc;
    ngx_http_asgard_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        r->main->count++;
        next(r);
        return NGX_DONE;
    }

    if (r->headers_in.content_length_n > (off_t) alcf->max_body_size) {
        return ngx_http_asgard_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "application/json",
                                    too_large, len);
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, next);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


void *
ngx_http_asgard_cleanup_data(ngx_http_request_t *r, ngx_pool_cleanup_pt handler)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == handler) {
            return cln->data;
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_asgard_wait_to_send(ngx_http_request_t *r, ngx_http_event_handler_pt handler)
{
    ngx_event_t               *wev = r->connection->write;
    ngx_http_core_loc_conf_t  *clcf;

    if (r->out == NULL && !r->connection->buffered && !r->buffered) {
        if (wev->timer_set) {
            ngx_del_timer(wev);
        }
        r->write_event_handler = ngx_http_request_empty_handler;
        return NGX_OK;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    r->write_event_handler = handler;
    if (!wev->delayed && !wev->timer_set) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    return ngx_handle_write_event(wev, clcf->send_lowat) == NGX_OK ? NGX_AGAIN : NGX_ERROR;
}
