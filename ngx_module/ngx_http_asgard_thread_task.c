/* Thread-pool tasks. Those that belong to no request (timers, settlements) each own a small pool,
 * destroyed on the event loop after their completion handler ran. A request's tasks have a
 * deadline that answers the request 503 when the task is late, and outlive the request if need be. */
#include "ngx_http_asgard_module.h"


typedef struct {
    ngx_pool_t                  *pool;
    ngx_http_asgard_task_done_pt done;
    void                        *data;
} ngx_http_asgard_detached_t;


static void
ngx_http_asgard_detached_done(ngx_event_t *ev)
{
    ngx_http_asgard_detached_t  *d = ev->data;

    if (d->done) {
        d->done(d->data);
    }

    ngx_destroy_pool(d->pool);
}


void *
ngx_http_asgard_detached_task(ngx_cycle_t *cycle, size_t size,
    ngx_http_asgard_task_work_pt work, ngx_http_asgard_task_done_pt done, ngx_thread_task_t **task)
{
    ngx_pool_t                  *pool;
    ngx_thread_task_t           *t;
    ngx_http_asgard_detached_t  *d;

    pool = ngx_create_pool(512 + size, cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    t = ngx_thread_task_alloc(pool, size);
    d = ngx_palloc(pool, sizeof(ngx_http_asgard_detached_t));
    if (t == NULL || d == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    d->pool = pool;
    d->done = done;
    d->data = t->ctx;

    t->handler = work;
    t->event.handler = ngx_http_asgard_detached_done;
    t->event.data = d;
    t->event.log = cycle->log;

    *task = t;

    return t->ctx;
}


ngx_int_t
ngx_http_asgard_detached_post(ngx_cycle_t *cycle, ngx_thread_task_t *task)
{
    ngx_http_asgard_main_conf_t  *amcf;
    ngx_http_asgard_detached_t   *d = task->event.data;

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_asgard_module);

    if (ngx_thread_task_post(amcf->thread_pool, task) != NGX_OK) {
        ngx_destroy_pool(d->pool);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* How much longer than asgard_io_timeout a request waits for its task: more than the core's own
 * wait for an answer (kPgAnswerGraceMs), so a single statement's failure is still the core's to
 * tell; less than two statements' worth, or a queue of tasks, would take. */
#define NGX_HTTP_ASGARD_TASK_MARGIN  1000


/* A request's task with a deadline. Heap memory, not the request's pool: the thread may still be
 * running when the deadline has answered the request and nginx has freed it. Whoever of the
 * completion and the deadline comes second frees it; the request's pool cleanup tells the task
 * when the request went first. */
struct ngx_http_asgard_request_task_s {
    ngx_thread_task_t                    task;
    ngx_event_t                          deadline;   /* data: the request's connection */
    ngx_http_request_t                  *request;    /* NULL once answered or gone */
    ngx_pool_cleanup_t                  *cleanup;
    ngx_http_asgard_request_done_pt      done;
    ngx_http_asgard_request_expired_pt   expired;
    ngx_http_asgard_task_done_pt         forget;
};


/* The request went away (its pool is destroyed) with its task still out. */
static void
ngx_http_asgard_request_gone(void *data)
{
    ngx_http_asgard_request_task_t  *rt = data;

    rt->request = NULL;
    rt->cleanup = NULL;

    if (rt->deadline.timer_set) {
        ngx_del_timer(&rt->deadline);
    }
}


static void
ngx_http_asgard_request_task_done(ngx_event_t *ev)
{
    ngx_connection_t                *c;
    ngx_http_request_t              *r;
    ngx_http_asgard_request_task_t  *rt = ev->data;

    r = rt->request;

    if (r == NULL) {
        /* The deadline answered long ago: only what the task made is left to free. */
        if (rt->forget) {
            rt->forget(rt->task.ctx);
        }
        ngx_free(rt);
        return;
    }

    if (rt->deadline.timer_set) {
        ngx_del_timer(&rt->deadline);
    }

    rt->cleanup->handler = NULL;
    c = r->connection;

    ngx_http_asgard_task_finished(r);
    rt->done(r, rt->task.ctx);
    ngx_free(rt);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_asgard_request_task_expired(ngx_event_t *ev)
{
    ngx_connection_t                *c;
    ngx_http_request_t              *r;
    ngx_http_asgard_request_task_t  *rt;

    rt = (ngx_http_asgard_request_task_t *)
             ((u_char *) ev - offsetof(ngx_http_asgard_request_task_t, deadline));
    r = rt->request;
    c = r->connection;

    /* From now on the task belongs to itself: its completion frees it. */
    rt->request = NULL;
    rt->cleanup->handler = NULL;
    rt->cleanup = NULL;

    ngx_http_asgard_task_finished(r);

    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                  "asgard: a PostgreSQL task of this request did not finish within %M ms "
                  "(asgard_io_timeout + %M ms): answered 503",
                  ngx_http_asgard_task_deadline(r), (ngx_msec_t) NGX_HTTP_ASGARD_TASK_MARGIN);

    ngx_http_finalize_request(r, rt->expired(r));
    ngx_http_run_posted_requests(c);
}


ngx_msec_t
ngx_http_asgard_task_deadline(ngx_http_request_t *r)
{
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    return amcf->io_timeout + NGX_HTTP_ASGARD_TASK_MARGIN;
}


void *
ngx_http_asgard_request_task(ngx_http_request_t *r, size_t size,
    ngx_http_asgard_task_work_pt work, ngx_http_asgard_request_done_pt done,
    ngx_http_asgard_request_expired_pt expired, ngx_http_asgard_task_done_pt forget,
    ngx_http_asgard_request_task_t **task)
{
    ngx_pool_cleanup_t              *cln;
    ngx_http_asgard_request_task_t  *rt;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    rt = ngx_calloc(sizeof(ngx_http_asgard_request_task_t) + size, r->connection->log);
    if (rt == NULL) {
        return NULL;
    }

    rt->task.ctx = rt + 1;
    rt->task.handler = work;
    rt->task.event.handler = ngx_http_asgard_request_task_done;
    rt->task.event.data = rt;
    rt->task.event.log = r->connection->log;

    rt->deadline.handler = ngx_http_asgard_request_task_expired;
    rt->deadline.data = r->connection;
    rt->deadline.log = r->connection->log;

    rt->request = r;
    rt->cleanup = cln;
    rt->done = done;
    rt->expired = expired;
    rt->forget = forget;

    /* Disarmed (NULL handler) until posted. */
    cln->handler = NULL;
    cln->data = rt;

    *task = rt;

    return rt->task.ctx;
}


ngx_int_t
ngx_http_asgard_request_task_post(ngx_http_request_t *r, ngx_http_asgard_request_task_t *rt)
{
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    if (ngx_thread_task_post(amcf->thread_pool, &rt->task) != NGX_OK) {
        rt->cleanup->handler = NULL;
        ngx_free(rt);
        return NGX_ERROR;
    }

    rt->cleanup->handler = ngx_http_asgard_request_gone;

    /* Not cancelable: a worker that is shutting down answers its waiting requests first. */
    ngx_add_timer(&rt->deadline, ngx_http_asgard_task_deadline(r));

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}
