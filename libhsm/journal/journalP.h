/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * journalP.h - the change journal (doc/design.md, "The change journal"):
 * per filesystem, numbered epochs, and in each the set of directories,
 * by handle, that hold a changed entry, with all their ancestors.
 *
 * Invariants the readers rely on:
 *  - The file is append-only, but for pruning: the writer drops whole
 *    closed epochs from its start by writing the rest to a new file and
 *    renaming it over (a reader sees the old file or the new one).  Each record carries its own XXH3-64; the
 *    first record that fails its check ends the log (a torn tail), and
 *    the writer cuts it off before it appends.
 *  - A record is durable before anything relies on it: every group of
 *    records ends with a record flagged JR_FLUSH_END and one fdatasync.
 *  - Every record's time is a safe point: every change whose event was
 *    queued before it is in a durable MARK at or before that record.
 *  - A MARK is only ever written together with the MARKs of all its
 *    ancestors (in the same flush), or after them.
 *  - An epoch is vouched for unless it holds a GAP record; a GAP says
 *    from when (since_ns) a ctime scan must complete it.
 *  - The last record is CLEAN only after a clean stop.
 *
 * Depends on fs/.
 */
#ifndef LIBHSM_JOURNALP_H
#define LIBHSM_JOURNALP_H

#include <pthread.h>
#include <sys/fanotify.h>
#include "fs/fsP.h"

#ifndef HSM_STATEDIR
#define HSM_STATEDIR	"/var/lib/xfs-hsm"
#endif

/*
 * File header, 64 bytes, little endian:
 *   0 magic "XHSMJRN1"      8 le32 version (2)     12 le32 header size (64)
 *  16 filesystem uuid      32 le64 created (ns)
 *  40 le64 first epoch in the file (version 1, or 0: epoch 1)
 *  48 le64 when it opened (ns; 0: created)
 *  56 XXH3-64 of bytes 0..55
 * Version 2 only adds the fields at 40 and 48, zero in a version 1
 * file: both are read, a new or pruned file is written as version 2.
 *
 * Record, 24 + len + 8 bytes:
 *   0 type   1 flags   2 le16 len (payload)   4 le32 zero
 *   8 le64 epoch      16 le64 time (ns, CLOCK_REALTIME: the safe point)
 *  24 payload         24+len XXH3-64 of bytes 0..24+len-1
 *
 * Payloads: MARK le32 handle type, then the handle's bytes; GAP le64
 * since (ns), le32 reason; START le32 flags (JS_CONTINUOUS); the others
 * none.  CHECKPOINT closes its epoch; epoch + 1 opens at its time.
 */
#define JR_MAGIC		"XHSMJRN1"
#define JR_VERSION		2
#define JR_VERSION_MIN		1
#define JR_HDR_SIZE		64
#define JR_REC_HDR		24
#define JR_REC_MAX		(JR_REC_HDR + 4 + HSM_JHANDLE_MAX + 8)

enum {
	JR_START = 1,
	JR_GAP,
	JR_MARK,
	JR_SYNC,
	JR_CHECKPOINT,
	JR_CLEAN,
	JR_TYPE_MAX = JR_CLEAN,
};
#define JR_FLUSH_END		(1U << 0)
#define JS_CONTINUOUS		(1U << 0)

/*
 * A change is stamped (ctime) a little before its event is queued: a
 * write sets ctime at its start and queues FAN_MODIFY at its end.  The
 * fallback scan reaches this far before the last safe point.
 */
#define JR_MARGIN_NS		(10LL * 1000000000)

struct jrec {
	uint8_t		type;
	uint8_t		flags;
	uint16_t	len;
	uint64_t	epoch;
	int64_t		time_ns;
	const unsigned char *payload;
};

/* jformat.c */
void jr_put_header(unsigned char *p, const unsigned char *uuid,
		   int64_t created_ns, uint64_t first, int64_t first_ns);
/* 0, or -EUCLEAN for a header that is not ours (wrong magic, version,
 * size, checksum or filesystem).  *@first, *@first_ns: the file's first
 * epoch and its opening. */
int jr_check_header(const unsigned char *p, const unsigned char *uuid,
		    int64_t *created_ns, uint64_t *first, int64_t *first_ns);
/* Encode one record at @p; returns its length. */
size_t jr_put(unsigned char *p, uint8_t type, uint8_t flags, uint64_t epoch,
	      int64_t time_ns, const void *payload, uint16_t len);
/* Decode the record at @p (@avail bytes): its length, 0 at a torn or
 * corrupt record (the end of the log). */
size_t jr_get(const unsigned char *p, size_t avail, struct jrec *r);
/* The whole file at @fd into a view; *@valid gets the length of the
 * good log (where a writer appends).  -EUCLEAN for a bad header. */
int jr_load(int fd, const unsigned char *uuid, struct hsm_jview **vp,
	    uint64_t *valid);
/*
 * Write to @out the journal @fd without its epochs before @keep: the
 * header saying so, then its records from the first of epoch @keep on,
 * unchanged.  0, or -ENOENT when @keep is not in it, other -errno.
 */
int jr_prune_copy(int fd, const unsigned char *uuid, uint64_t keep,
		  int out);
const char *jr_statedir(void);
void jr_path(const struct hsm_fs *fs, char *buf, size_t size);
int64_t jr_now(void);

/* jset.c: a set of handles, open addressing. */
struct jset {
	struct hsm_jhandle *slot;	/* len 0: empty */
	size_t		size;		/* power of two */
	size_t		count;
};
void jset_clear(struct jset *s);
/* 1 if @h was added, 0 if it was there, -ENOMEM. */
int jset_add(struct jset *s, const struct hsm_jhandle *h);
bool jset_has(const struct jset *s, const struct hsm_jhandle *h);
void jset_free(struct jset *s);

/* ---- the writer (jwriter.c, jevents.c, jgroup.c) ------------------- */

#define JW_MASK		(FAN_MODIFY | FAN_ATTRIB | FAN_CLOSE_WRITE | \
			 FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | \
			 FAN_MOVED_TO | FAN_ONDIR)
#define JW_READBUF	(256 * 1024)
#define JW_FLUSH_MAX	(1024 * 1024)	/* flush early past this */
#define JW_IDLE_MS	60000		/* a SYNC record when idle this long */
/*
 * At most one flush per this long, unless a reader waits: first changes
 * that arrive one by one (an untar creates a directory, fills it, goes
 * on) share a flush.  The events are after the fact anyway; holding
 * their records a few ms longer only moves the safe point back as much.
 */
#define JW_GATHER_NS	(20LL * 1000000)

struct hsm_journal {
	struct hsm_fs	*fs;
	int		group_fd;
	int		fd;		/* the journal file, flock'ed */
	int		wake_fd;	/* eventfd: a request or stop */
	ino_t		root_ino;
	pid_t		pid;		/* the writer's process */
	hsm_log_fn	log;
	void		*log_arg;
	pthread_t	thread;
	/* the writer thread's own */
	uint64_t	epoch;
	bool		vouched;	/* the current epoch has no gap */
	int64_t		safe_ns;	/* the last durable safe point */
	struct jset	set;
	unsigned char	*out;		/* records not yet written */
	size_t		out_len;
	unsigned char	*rbuf;
	bool		broken;		/* a write failed: write no more */
	bool		closing;	/* a checkpoint's drain: no ignore
					 * mark, it would outlive the epoch */
	int64_t		retention_ns;	/* closed epochs older: pruned */
	int64_t		oldest_closed_ns; /* of the first epoch, 0: open */
	/* requests, under lock */
	pthread_mutex_t	lock;
	pthread_cond_t	done_cond;
	uint64_t	req_seq, done_seq;
	unsigned	req_flags;
	uint64_t	reply_epoch;
	int		reply_error;
	bool		stop;
};

/* jwriter.c */
void jw_log(struct hsm_journal *j, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Queue one record for the next flush. */
void jw_out_rec(struct hsm_journal *j, uint8_t type, const void *payload,
		uint16_t len, int64_t t);
/* Write what is queued, one write and one fdatasync; 0 or -EIO. */
int jw_flush(struct hsm_journal *j);
/* A gap in the current epoch since @since_ns, once per epoch. */
void jw_gap(struct hsm_journal *j, int64_t since_ns, uint32_t reason,
	    int64_t t);
/* jprune.c: drop the closed epochs older than the retention; 0 or
 * -errno (the journal is then as it was). */
int jw_prune(struct hsm_journal *j, int64_t now);
/* jevents.c: read the group until its queue is empty, marking. */
void jw_drain(struct hsm_journal *j, int64_t t);
/* jgroup.c: the ignore marks of the epoch's directories. */
void jw_ignore_dir(struct hsm_journal *j, int fd);
void jw_unignore_all(struct hsm_journal *j);

#endif /* LIBHSM_JOURNALP_H */
