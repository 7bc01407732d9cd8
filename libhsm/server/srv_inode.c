// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_inode.c - the server's view of one file.
 *
 * Found by (inode, generation) in a cds_lfht: lookups are lock-free under
 * RCU, inserts and removals take table_lock.  A resident file's state is
 * dropped as soon as its event is answered (it gets an ignore mark and no
 * more events); a released file's state (record, store metadata, map) is
 * kept while it is in use and for a while after, since a sequential
 * reader sends an event per read().  The server is the only writer of
 * records while it runs, so the cached record stays true.
 *
 * No fd is kept open: an O_RDWR fd of ours would make the lease test for
 * writers (srv_classify.c) and the release lease fail.  Workers open the
 * file by handle for each batch (invisible IO: mtime and ctime untouched).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/xattr.h>
#include "server/serverP.h"

static unsigned long
ino_hash(
	uint64_t	ino)
{
	return (unsigned long)(ino * 0x9e3779b97f4a7c15ULL >> 17);
}

struct inode_key {
	uint64_t	ino;
	uint32_t	gen;
};

static int
ino_match(
	struct cds_lfht_node	*node,
	const void		*key)
{
	const struct srv_inode	*in = caa_container_of(node,
					struct srv_inode, node);
	const struct inode_key	*k = key;

	return in->ino == k->ino && in->gen == k->gen;
}

static struct srv_inode *
inode_alloc(
	uint64_t		ino,
	uint32_t		gen)
{
	struct srv_inode	*in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->ino = ino;
	in->gen = gen;
	in->iofd = -1;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->cond, NULL);
	CDS_INIT_LIST_HEAD(&in->waiting);
	CDS_INIT_LIST_HEAD(&in->deferred);
	CDS_INIT_LIST_HEAD(&in->runq_link);
	cds_lfht_node_init(&in->node);
	return in;
}

void
__srv_inode_unload(
	struct srv_inode	*in)
{
	hsm_objmeta_free(&in->meta);
	memset(&in->meta, 0, sizeof(in->meta));
	hsm_chunkmap_free(&in->map);
	free(in->cstate);
	in->cstate = NULL;
	in->loaded = false;
	in->released = false;
	in->ndata = in->nresident = 0;
}

static void
inode_free_rcu(
	struct rcu_head		*head)
{
	struct srv_inode	*in = caa_container_of(head, struct srv_inode,
					rcu);

	__srv_inode_unload(in);
	free(in->todo);
	free(in->written);
	pthread_mutex_destroy(&in->lock);
	pthread_cond_destroy(&in->cond);
	free(in);
}

struct srv_inode *
srv_inode_get(
	struct hsm_server	*s,
	uint64_t		ino,
	uint32_t		gen)
{
	struct inode_key	key = { ino, gen };
	struct cds_lfht_iter	iter;
	struct cds_lfht_node	*node;
	struct srv_inode	*in, *fresh = NULL;

	for (;;) {
		urcu_memb_read_lock();
		cds_lfht_lookup(s->inodes, ino_hash(ino), ino_match, &key,
				&iter);
		node = cds_lfht_iter_get_node(&iter);
		if (node) {
			in = caa_container_of(node, struct srv_inode, node);
			pthread_mutex_lock(&in->lock);
			if (!in->dead) {
				in->refs++;
				pthread_mutex_unlock(&in->lock);
				urcu_memb_read_unlock();
				if (fresh)
					inode_free_rcu(&fresh->rcu);
				return in;
			}
			pthread_mutex_unlock(&in->lock);
		}
		urcu_memb_read_unlock();

		if (!fresh) {
			fresh = inode_alloc(ino, gen);
			if (!fresh)
				return NULL;
		}
		fresh->refs = 1;
		pthread_mutex_lock(&s->table_lock);
		urcu_memb_read_lock();
		node = cds_lfht_add_unique(s->inodes, ino_hash(ino), ino_match,
				&key, &fresh->node);
		urcu_memb_read_unlock();
		pthread_mutex_unlock(&s->table_lock);
		if (node == &fresh->node)
			return fresh;
		/* lost a race with another thread: take theirs */
	}
}

/* Take @in out of the table; caller holds in->lock, refs is 0. */
static void
__inode_remove(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	in->dead = true;
	pthread_mutex_lock(&s->table_lock);
	urcu_memb_read_lock();
	cds_lfht_del(s->inodes, &in->node);
	urcu_memb_read_unlock();
	pthread_mutex_unlock(&s->table_lock);
}

void
srv_inode_put(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	bool			drop = false;

	pthread_mutex_lock(&in->lock);
	if (--in->refs == 0) {
		in->idle_since = srv_now_ns();
		/* resident files get ignore marks: no need to remember them */
		if (!in->released || s->stopping) {
			__inode_remove(s, in);
			drop = true;
		}
	}
	pthread_mutex_unlock(&in->lock);
	if (drop)
		urcu_memb_call_rcu(&in->rcu, inode_free_rcu);
}

void
srv_inodes_evict_idle(
	struct hsm_server	*s,
	bool			all,
	bool			io)
{
	struct cds_lfht_iter	iter;
	struct srv_inode	*in;
	int64_t			now = srv_now_ns();

	urcu_memb_read_lock();
	cds_lfht_for_each_entry(s->inodes, &iter, in, node) {
		bool drop = false;

		pthread_mutex_lock(&in->lock);
		if (io && !in->dead && in->refs == 0 &&
		    (all || now - in->idle_since > SRV_IDLE_RECALLING_NS))
			__srv_settle_idle(s, in, all);
		if (!in->dead && in->refs == 0 &&
		    (all || now - in->idle_since > SRV_IDLE_EVICT_NS)) {
			__inode_remove(s, in);
			drop = true;
		}
		pthread_mutex_unlock(&in->lock);
		if (drop)
			urcu_memb_call_rcu(&in->rcu, inode_free_rcu);
	}
	urcu_memb_read_unlock();
}

int
srv_inode_open(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			oflags)
{
	struct timespec		pause = { 0, 10 * 1000000 };
	int			fd, tries = 0;

	/*
	 * Out of descriptors (a recall storm near the limit): the event loop
	 * stops reading events until some are closed, so this passes; wait
	 * for it (5 s at most) rather than fail a reader.
	 */
	do {
		fd = hsm_xfs_open_ino(s->fs, in->ino, in->gen,
				oflags | O_CLOEXEC | O_LARGEFILE | O_NOATIME);
	} while ((fd == -EMFILE || fd == -ENFILE) && ++tries < 500 &&
		 nanosleep(&pause, NULL) == 0);
	return fd == -ENOENT || fd == -EINVAL ? -ESTALE : fd;
}

/* Write in->rec through @fd, or through an fd of its own (@fd -1). */
static int
__commit(
	struct hsm_server	*s,
	struct srv_inode	*in,
	enum hsm_dur		how,
	int			fd)
{
	struct hsm_record	*r = &in->rec;
	int			own = -1, error;

	if (r->pending != HSM_OP_NONE) {
		r->owner_pid = s->pid;
		memcpy(r->owner_boot, s->fs->boot_id, 16);
		r->pending_since = time(NULL);
	} else {
		r->owner_pid = 0;
		memset(r->owner_boot, 0, 16);
		r->pending_since = 0;
	}
	if (fd < 0) {
		fd = own = srv_inode_open(s, in, O_RDONLY);
		if (fd < 0)
			return fd;
	}
	error = hsm_dur_record(fd, r, how, NULL);
	if (own >= 0)
		close(own);
	return error;
}

/* Write the record of @in and make it durable. */
int
__srv_inode_commit(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	return __commit(s, in, HSM_DUR_NOW, -1);
}

/* The same through @fd, which the caller holds (a lease). */
int
__srv_inode_commit_fd(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			fd)
{
	return __commit(s, in, HSM_DUR_NOW, fd);
}

/*
 * Write the record of @in ahead of changes that follow it, not durable
 * yet.  The XFS log is replayed in order, so no later change to the file
 * (the blocks a recall allocates or converts, its map) survives a crash
 * without it; and the fsync that makes the recalled data durable makes
 * it durable too.  Saves a log force per recall.
 */
int
__srv_inode_commit_ordered(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	return __commit(s, in, HSM_DUR_ORDERED, -1);
}

/* Flag the copy lost (DESIGN: never trusted again until re-archived). */
static int
__mark_lost(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	hsm_record_mark_lost(&in->rec);
	__srv_inode_commit(s, in);
	return -ENOLINK;
}

/* Load the store copy's metadata and the resident map of a released file. */
static int
__load_released(
	struct hsm_server	*s,
	struct srv_worker	*w,
	struct srv_inode	*in,
	int			fd)
{
	struct hsm_record	*r = &in->rec;
	uint64_t		i, c;
	unsigned		from = 0;
	int			error;

	error = hsm_copies_stat(s->fs, srv_worker_set(w), r, &in->meta,
			&from);
	atomic_store(&in->from, from);
	if (error == -ENOLINK)
		return __mark_lost(s, in);
	if (error) {
		srv_worker_store_failed(w, error);
		return error == -ENOENT ? -EIO : error;	/* not lost */
	}
	/* a daemon-noted truncation may have lowered r->size below it */
	if (in->meta.checksum != r->checksum || in->meta.size < r->size ||
	    (in->meta.size != r->size && !(r->flags & HSM_F_DIRTY))) {
		hsm_objmeta_free(&in->meta);
		memset(&in->meta, 0, sizeof(in->meta));
		return __mark_lost(s, in);
	}
	error = hsm_chunkmap_init(&in->map, in->meta.size,
			in->meta.chunk_shift);
	if (error)
		goto out_meta;
	/* RELEASING: the punch may have gone past a map of earlier chunks */
	if (r->pending != HSM_OP_RELEASING &&
	    r->chunk_shift == in->meta.chunk_shift) {
		error = hsm_chunkmap_load(fd, &in->map);
		if (error)
			goto out_map;
	}
	in->cstate = calloc(in->map.nchunks ? in->map.nchunks : 1, 1);
	if (!in->cstate) {
		error = -ENOMEM;
		goto out_map;
	}
	in->ndata = 0;
	in->nresident = 0;
	for (i = 0; i < in->meta.nsums; i++) {
		c = in->meta.sums[i].chunk;
		if ((c << in->meta.chunk_shift) >= r->size)
			break;		/* truncated away: nothing to recall */
		in->ndata++;
		if (hsm_chunkmap_test(&in->map, c))
			in->nresident++;
	}
	return 0;
out_map:
	hsm_chunkmap_free(&in->map);
out_meta:
	hsm_objmeta_free(&in->meta);
	memset(&in->meta, 0, sizeof(in->meta));
	return error;
}

int
__srv_inode_load(
	struct hsm_server	*s,
	struct srv_worker	*w,
	struct srv_inode	*in)
{
	int			fd, error;

	if (in->loaded)
		return 0;
	in->nreaders = 0;	/* a new release: a new count of readers */
	fd = srv_inode_open(s, in, O_RDONLY);
	if (fd < 0)
		return fd;
	memset(&in->rec, 0, sizeof(in->rec));
	error = hsm_fd_read_record(fd, &in->rec);
	in->has_rec = !error;
	if (error == 1) {
		error = 0;
		in->released = false;
	} else if (!error) {
		in->released = (in->rec.flags & HSM_F_RELEASED) ||
			       in->rec.pending == HSM_OP_RELEASING;
		if (in->released && !(in->rec.flags & HSM_F_LOST))
			error = __load_released(s, w, in, fd);
	}
	close(fd);
	if (error)
		return error;
	/* a recall a dead worker (or daemon) left is ours to finish and to
	 * close: its RECALLING goes once the file is at rest */
	in->recalling = in->rec.pending == HSM_OP_RECALLING &&
			(in->rec.owner_pid == (uint32_t)s->pid ||
			 !hsm_owner_alive(s->fs, &in->rec));
	in->loaded = true;
	return 0;
}
