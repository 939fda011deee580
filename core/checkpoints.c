#include "core/checkpoints.h"
#include "core/dirty.h"
#include "core/outfile.h"
#include "core/vm.h"
#include "core/vm_config.h"
#include "core/vm_state.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The position blob of a checkpoint: where replay resumes, and the loop state that is not
 * machine state but decides what the machine does next. */
struct ckpt_position {
	char magic[4];			/* "CKPT" */
	uint32_t version;		/* 1 */
	uint64_t trace_id;
	uint64_t exits, events, guest_ns;
	uint64_t irqs_injected, deferred, async_irqs;
	uint8_t irq_window, deferral_logged, pad[6];
	uint64_t icount;		/* retired instructions, for engines that count them */
} __attribute__((packed));

int checkpoints_init(struct checkpoint_set *set, uint64_t every_ns, uint64_t trace_id)
{
	memset(set, 0, sizeof(*set));
	set->every_ns = every_ns;
	set->trace_id = trace_id;
	return pagestore_init(&set->ps);
}

static void release(struct checkpoint *c)
{
	if (c->loaded) {
		snapshot_free(&c->snap);
		return;
	}
	free(c->snap.position);
	free(c->snap.config);
	vm_state_release(&c->snap);
}

void checkpoints_free(struct checkpoint_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		release(&set->v[i]);
	free(set->v);
	pagestore_free(&set->ps);
	memset(set, 0, sizeof(*set));
}

int checkpoints_take(struct checkpoint_set *set, struct vm *vm, uint64_t events)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct checkpoint *v = realloc(set->v, cap * sizeof(*v));
		if (!v)
			return snprintf(set->error, sizeof(set->error), "out of memory"), -1;
		set->v = v;
		set->cap = cap;
	}
	struct checkpoint *c = &set->v[set->n];
	memset(c, 0, sizeof(*c));
	/* Incremental against the last checkpoint only while the dirty log covers everything
	 * since it (a restore rewrites memory behind the log's back). */
	const struct memimage *prev = set->n && !set->log_broken ? &set->v[set->n - 1].snap.mem : NULL;
	int rc = dirty_collect(vm);
	if (rc || vm_state_capture(vm, &set->ps, prev, &c->snap, set->error, sizeof(set->error))) {
		if (rc)
			snprintf(set->error, sizeof(set->error), "reading the dirty log: %s", strerror(-rc));
		return -1;
	}
	size_t plen = sizeof(struct ckpt_position);
	struct ckpt_position *p = calloc(1, plen);
	struct vm_config_text *cfg = malloc(sizeof(*cfg));
	if (!p || !cfg) {
		free(p);
		free(cfg);
		vm_state_release(&c->snap);
		return snprintf(set->error, sizeof(set->error), "out of memory"), -1;
	}
	*p = (struct ckpt_position){
		.magic = { 'C', 'K', 'P', 'T' }, .version = 2, .trace_id = set->trace_id,
		.exits = vm->exits, .events = events, .guest_ns = c->snap.guest_ns,
		.irqs_injected = vm->irqs_injected, .deferred = vm->deferred,
		.async_irqs = vm->async_irqs, .irq_window = vm->irq_window,
		.deferral_logged = vm->deferral_logged,
		.icount = vm->engine->ops->icount ? vm->engine->ops->icount(vm->engine) : 0,
	};
	vm_config_format(cfg, &vm->cfg, vm->clock.epoch_at_boot);
	/* The text is the first member: the blob is the text itself. */
	c->snap.config = cfg;
	c->snap.config_len = cfg->len;
	c->snap.position = p;
	c->snap.position_len = plen;
	c->exits = vm->exits;
	c->guest_ns = c->snap.guest_ns;
	c->events = events;
	set->n++;
	set->log_broken = false;
	return 0;
}

void checkpoints_maybe_take(struct checkpoint_set *set, struct vm *vm, uint64_t events)
{
	if (set->error[0])
		return;
	uint64_t now = vm_guest_ns(vm);
	if (set->n && now < set->next_ns)
		return;
	if (checkpoints_take(set, vm, events) == 0) /* from the time the checkpoint stands at */
		set->next_ns = set->v[set->n - 1].guest_ns + set->every_ns;
}

/* The names rewind writes in a checkpoint directory: "store" and "NNNN.snap", and the same
 * followed by ".tmp-XXXXXX" while being written (core/outfile.h). */
static bool checkpoint_file_name(const char *name)
{
	size_t n = strspn(name, "0123456789");
	const char *rest = !strncmp(name, "store", 5) ? name + 5
			   : n >= 4 && !strncmp(name + n, ".snap", 5) ? name + n + 5 : NULL;
	return rest && (!*rest || (!strncmp(rest, ".tmp-", 5) && strlen(rest) == 11));
}

/* Removes a checkpoint directory rewind wrote: only the files it writes there, so that anything
 * else put in it survives (and keeps the directory). Write permission is restored first: a
 * directory made read-only would otherwise stay behind, as FILE.ckpt.old/ say. */
static void remove_checkpoint_dir(const char *path)
{
	struct stat st;
	if (lstat(path, &st) || !S_ISDIR(st.st_mode))
		return;
	chmod(path, (st.st_mode & 07777) | S_IRWXU);
	outfile_remove_dir(path, checkpoint_file_name);
}

/* The directories of TRACE's checkpoints: the set, and the new and the old set while a new one
 * replaces it (left behind by a recorder killed then). */
static const char *const checkpoint_dirs[] = { ".ckpt", ".ckpt.tmp", ".ckpt.old" };
enum { CKPT_DIR, CKPT_TMP, CKPT_OLD, CKPT_NDIRS };

static void checkpoint_dir(char *out, size_t len, const char *trace_path, int which)
{
	snprintf(out, len, "%s%s", trace_path, checkpoint_dirs[which]);
}

void checkpoints_remove(const char *trace_path)
{
	char dir[PATH_MAX];
	for (int i = 0; i < CKPT_NDIRS; i++) {
		checkpoint_dir(dir, sizeof(dir), trace_path, i);
		remove_checkpoint_dir(dir);
	}
}

/* Puts the new set tmp in place of dir, by way of moving the old one to old and removing it
 * there. An abort (core/outfile.h) on the way would leave the old set aside, or remove the
 * new one with it: signals wait until the new set is in place and the old one gone. */
static int swap_in(const char *tmp, const char *dir, const char *old, char *err, size_t errlen)
{
	sigset_t all, mask;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &mask);
	int rc = -1;
	if ((rename(dir, old) && errno != ENOENT) || rename(tmp, dir)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	} else {
		outfile_finished(tmp);
		remove_checkpoint_dir(old);
		rc = 0;
	}
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return rc;
}

int checkpoints_save(struct checkpoint_set *set, const char *trace_path, uint64_t trace_id,
		     char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX], old[PATH_MAX], file[PATH_MAX + 32];
	if (set->error[0]) {
		snprintf(err, errlen, "a checkpoint could not be taken: %s", set->error);
		return -1;
	}
	checkpoint_dir(dir, sizeof(dir), trace_path, CKPT_DIR);
	checkpoint_dir(tmp, sizeof(tmp), trace_path, CKPT_TMP);
	checkpoint_dir(old, sizeof(old), trace_path, CKPT_OLD);
	struct stat st;
	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a checkpoint directory (left alone)", dir);
		return -1;
	}
	remove_checkpoint_dir(tmp); /* a killed run's: reused */
	if (outfile_temp_dir(tmp, checkpoint_file_name, err, errlen))
		return -1;
	snprintf(file, sizeof(file), "%s/store", tmp);
	if (pagestore_save(&set->ps, file, err, errlen))
		goto fail;
	for (size_t i = 0; i < set->n; i++) {
		struct ckpt_position *p = set->v[i].snap.position;
		p->trace_id = trace_id;
		snprintf(file, sizeof(file), "%s/%04zu.snap", tmp, i);
		if (snapshot_write(file, &set->v[i].snap, &set->ps, "store", err, errlen))
			goto fail;
	}
	remove_checkpoint_dir(old);
	if (swap_in(tmp, dir, old, err, errlen))
		goto fail;
	return 0;
fail:
	remove_checkpoint_dir(tmp);
	outfile_finished(tmp);
	return -1;
}

static int check_position(const struct snapshot *snap, uint64_t trace_id, const char *file,
			  char *err, size_t errlen)
{
	const struct ckpt_position *p = snap->position;
	if (snap->position_len != sizeof(*p) || memcmp(p->magic, "CKPT", 4) || p->version != 2) {
		snprintf(err, errlen, "%s: not a rewind checkpoint", file);
		return -1;
	}
	if (p->trace_id != trace_id) {
		snprintf(err, errlen, "%s: a checkpoint of another recording (recorded again since?)", file);
		return -1;
	}
	return 0;
}

int checkpoints_load(struct checkpoint_set *set, const char *trace_path, uint64_t trace_id,
		     char *err, size_t errlen)
{
	char dir[PATH_MAX], file[PATH_MAX + 32];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s.ckpt", trace_path);
	if (stat(dir, &st))
		return 0;
	memset(set, 0, sizeof(*set));
	set->trace_id = trace_id;
	snprintf(file, sizeof(file), "%s/store", dir);
	if (pagestore_load(&set->ps, file, err, errlen))
		return -1;
	for (size_t i = 0;; i++) {
		snprintf(file, sizeof(file), "%s/%04zu.snap", dir, i);
		if (stat(file, &st))
			break;
		if (set->n == set->cap) {
			size_t cap = set->cap ? set->cap * 2 : 16;
			struct checkpoint *v = realloc(set->v, cap * sizeof(*v));
			if (!v) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			set->v = v;
			set->cap = cap;
		}
		struct checkpoint *c = &set->v[set->n];
		memset(c, 0, sizeof(*c));
		if (snapshot_read(file, &set->ps, &c->snap, err, errlen))
			goto fail;
		c->loaded = true;
		set->n++;
		if (check_position(&c->snap, trace_id, file, err, errlen))
			goto fail;
		const struct ckpt_position *p = c->snap.position;
		c->exits = p->exits;
		c->events = p->events;
		c->guest_ns = p->guest_ns;
	}
	if (!set->n) {
		snprintf(err, errlen, "%s has no checkpoints", dir);
		goto fail;
	}
	return 1;
fail:
	checkpoints_free(set);
	return -1;
}

int checkpoints_restore(struct checkpoint_set *set, size_t k, struct vm *vm, char *err,
			size_t errlen)
{
	const struct checkpoint *c = &set->v[k];
	const struct ckpt_position *p = c->snap.position;
	int rc = dirty_init(vm);
	if (rc) {
		snprintf(err, errlen, "tracking dirty pages: %s", strerror(-rc));
		return -1;
	}
	if (vm_state_restore(vm, &set->ps, &c->snap, err, errlen))
		return -1;
	set->log_broken = true;
	vm->exits = p->exits;
	vm->phase = 1;
	vm->irqs_injected = p->irqs_injected;
	vm->deferred = p->deferred;
	vm->async_irqs = p->async_irqs;
	vm->deferral_logged = p->deferral_logged;
	vm->irq_window = p->irq_window;
	vm->engine->ops->request_irq_window(vm->engine, vm->irq_window);
	vm->clock.last = p->guest_ns;
	if (vm->engine->ops->set_icount)
		vm->engine->ops->set_icount(vm->engine, p->icount);
	return 0;
}
