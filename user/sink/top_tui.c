// SPDX-License-Identifier: GPL-2.0
/*
 * iommutop's full-screen view (ncurses). While it owns the terminal,
 * stderr (libbpf's and iommuscope's own messages) goes to a memory file
 * that is printed once the terminal is back; the terminal is restored on
 * every way out: quit, SIGINT/SIGTERM/SIGHUP (the session ends and
 * top_tui__stop runs), and fatal signals (restored from the handler).
 */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "catalog.h"
#include "session.h"
#include "top.h"
#include "util.h"

#define MAX_EXPANDED 64
#define FILTER_LEN 64

struct line {			/* one visible table line */
	bool proc;
	int idx;		/* into procs or rows */
};

struct isc_top_tui {
	int sort;
	char filter[FILTER_LEN];
	bool editing;
	char edit[FILTER_LEN];
	/* the selection, kept by key across refreshes */
	int sel, scroll;
	bool sel_proc;
	struct isc_top_key sel_key;
	int nr_expanded;
	uint32_t expanded[MAX_EXPANDED];
	bool detail;
	int nr_lines, cap_lines;
	struct line *lines;
};

static struct termios saved_tio;
static bool have_tio;
static int saved_stderr = -1, err_fd = -1;

/* async-signal-safe: leave the alternate screen, show the cursor, give
 * the terminal its modes back, stderr back to the terminal */
static void restore_raw(void)
{
	static const char seq[] = "\033[?1049l\033[?25h\033[0m\r\n";

	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (write(STDOUT_FILENO, seq, sizeof(seq) - 1) < 0)
		return;
	if (saved_stderr >= 0)
		dup2(saved_stderr, STDERR_FILENO);
}

static void on_fatal(int sig)
{
	restore_raw();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_hangup(int sig)
{
	(void)sig;
	session__stop();
}

struct isc_top_tui *top_tui__start(int sort, const char *filter)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa = {};
	struct isc_top_tui *ui;
	size_t i;

	ui = calloc(1, sizeof(*ui));
	if (!ui) {
		isc_err("out of memory");
		return NULL;
	}
	ui->sort = sort;
	if (filter)
		snprintf(ui->filter, sizeof(ui->filter), "%s", filter);
	have_tio = !tcgetattr(STDIN_FILENO, &saved_tio);
	err_fd = memfd_create("iommutop-stderr", MFD_CLOEXEC);
	saved_stderr = err_fd >= 0 ? dup(STDERR_FILENO) : -1;
	sa.sa_handler = on_fatal;
	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_handler = on_hangup;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	if (!newterm(NULL, stdout, stdin)) {
		isc_err("cannot use this terminal (TERM=%s)", getenv("TERM") ?: "");
		free(ui);
		return NULL;
	}
	if (saved_stderr >= 0)
		dup2(err_fd, STDERR_FILENO);
	cbreak();	/* Ctrl-C stays a signal: the session ends cleanly */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	return ui;
}

void top_tui__stop(struct isc_top_tui *ui)
{
	char buf[4096];
	ssize_t n;

	endwin();
	restore_raw();
	if (err_fd >= 0) {
		lseek(err_fd, 0, SEEK_SET);
		while ((n = read(err_fd, buf, sizeof(buf))) > 0)
			if (write(STDERR_FILENO, buf, n) < 0)
				break;
		close(err_fd);
		err_fd = -1;
	}
	if (saved_stderr >= 0)
		close(saved_stderr);
	saved_stderr = -1;
	free(ui->lines);
	free(ui);
}

static bool is_expanded(const struct isc_top_tui *ui, uint32_t tgid)
{
	int i;

	for (i = 0; i < ui->nr_expanded; i++)
		if (ui->expanded[i] == tgid)
			return true;
	return false;
}

static void set_expanded(struct isc_top_tui *ui, uint32_t tgid, bool on)
{
	int i;

	for (i = 0; i < ui->nr_expanded; i++)
		if (ui->expanded[i] == tgid)
			break;
	if (on && i == ui->nr_expanded && ui->nr_expanded < MAX_EXPANDED)
		ui->expanded[ui->nr_expanded++] = tgid;
	else if (!on && i < ui->nr_expanded)
		ui->expanded[i] = ui->expanded[--ui->nr_expanded];
}

static bool add_line(struct isc_top_tui *ui, bool proc, int idx)
{
	if (ui->nr_lines == ui->cap_lines) {
		int c = ui->cap_lines ? ui->cap_lines * 2 : 64;
		struct line *n = realloc(ui->lines, c * sizeof(*n));

		if (!n)
			return false;
		ui->lines = n;
		ui->cap_lines = c;
	}
	ui->lines[ui->nr_lines].proc = proc;
	ui->lines[ui->nr_lines++].idx = idx;
	return true;
}

static const struct isc_top_row *line_row(const struct isc_top_snap *sn, const struct line *l)
{
	return l->proc ? &sn->procs[l->idx] : &sn->rows[l->idx];
}

/* The visible lines in order; the selection follows its key. */
static void build_lines(struct isc_top_tui *ui, const struct isc_top_snap *sn)
{
	int *order = calloc(sn->nr_procs + 1, sizeof(*order));
	int *rows = calloc(sn->nr_rows + 1, sizeof(*rows));
	int i, j, first, n;

	ui->nr_lines = 0;
	if (!order || !rows)
		goto out;
	top__order(sn, ui->sort, order);
	for (i = 0; i < sn->nr_procs; i++) {
		if (!top__matches(sn, order[i], ui->filter))
			continue;
		add_line(ui, true, order[i]);
		if (!is_expanded(ui, sn->procs[order[i]].key.tgid))
			continue;
		n = top_snap__proc_rows(sn, order[i], &first);
		top__order_rows(sn, ui->sort, first, n, rows);
		for (j = 0; j < n; j++)
			add_line(ui, false, rows[j]);
	}
	for (i = 0; i < ui->nr_lines; i++) {
		const struct isc_top_row *r = line_row(sn, &ui->lines[i]);

		if (ui->lines[i].proc == ui->sel_proc &&
		    (ui->sel_proc ? r->key.tgid == ui->sel_key.tgid :
				    !memcmp(&r->key, &ui->sel_key, sizeof(r->key)))) {
			ui->sel = i;
			break;
		}
	}
out:
	if (ui->sel >= ui->nr_lines)
		ui->sel = ui->nr_lines - 1;
	if (ui->sel < 0)
		ui->sel = 0;
	free(order);
	free(rows);
}

static void select_line(struct isc_top_tui *ui, const struct isc_top_snap *sn, int i)
{
	if (i >= ui->nr_lines)
		i = ui->nr_lines - 1;
	if (i < 0)
		i = 0;
	ui->sel = i;
	if (!ui->nr_lines)
		return;
	ui->sel_proc = ui->lines[i].proc;
	ui->sel_key = line_row(sn, &ui->lines[i])->key;
}

static void put_line(int y, const char *s, attr_t attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, s, COLS);
	if ((int)strlen(s) < COLS)
		hline(' ', COLS - (int)strlen(s));
	attroff(attr);
}

/* Enter: the selected process or ioctl, its latency histogram (this
 * interval, or since the start when the interval had no call) and its
 * recent mismatches. */
static void draw_detail(struct isc_top_tui *ui, const struct isc_top_state *st, int y)
{
	const struct isc_top_snap *sn = &st->cur;
	const struct isc_top_row *r = NULL;
	const struct isc_top_counts *c;
	char buf[512], name[64], comm[ISC_ESCAPED_LEN(ISC_COMM_LEN)];
	uint64_t max = 0;
	int i, bar, n;

	for (i = 0; i < ui->nr_lines && !r; i++)
		if (i == ui->sel)
			r = line_row(sn, &ui->lines[i]);
	if (!r) {
		put_line(y, "(nothing selected; Esc to go back)", A_NORMAL);
		return;
	}
	str_escape(r->comm, sizeof(r->comm), comm, sizeof(comm));
	if (ui->sel_proc)
		snprintf(buf, sizeof(buf), "process %u (%s)%s: %llu calls, %llu errors",
			 r->key.tgid, comm, r->gone ? " exited" : "",
			 (unsigned long long)r->tot.calls, (unsigned long long)r->tot.errors);
	else {
		top__row_name(r, name, sizeof(name));
		snprintf(buf, sizeof(buf), "process %u (%s) %s on %s %s: %llu calls, %llu errors",
			 r->key.tgid, comm, name, catalog__kind_name(r->key.fd_kind), r->device,
			 (unsigned long long)r->tot.calls, (unsigned long long)r->tot.errors);
	}
	put_line(y++, buf, A_BOLD);
	c = r->d.calls ? &r->d : &r->tot;
	snprintf(buf, sizeof(buf), "latency, log2 buckets (%s):",
		 r->d.calls ? "last interval" : "since the start");
	put_line(y++, buf, A_NORMAL);
	for (i = 0; i < ISC_TOP_HIST; i++)
		if (c->hist[i] > max)
			max = c->hist[i];
	for (i = 0; i < ISC_TOP_HIST && y < LINES - 8; i++) {
		char bars[41];

		if (!c->hist[i])
			continue;
		bar = max ? (int)(c->hist[i] * 40 / max) : 0;
		memset(bars, '#', bar);
		bars[bar] = '\0';
		snprintf(buf, sizeof(buf), "  %12llu .. %-12llu ns %10llu |%s",
			 1ull << i, (1ull << (i + 1)) - 1, (unsigned long long)c->hist[i], bars);
		put_line(y++, buf, A_NORMAL);
	}
	y++;
	put_line(y++, "recent mismatches (newest first):", A_NORMAL);
	n = st->nr_recent < ISC_TOP_RECENT ? st->nr_recent : ISC_TOP_RECENT;
	for (i = 0; i < n && y < LINES - 1; i++) {
		const struct isc_top_recent *m = &st->recent[(st->nr_recent - 1 - i) % ISC_TOP_RECENT];
		time_t t = (time_t)(m->real_ns / 1000000000ull);
		struct tm tm;
		char when[16];

		if (m->tgid != r->key.tgid || (!ui->sel_proc && (m->cmd != r->key.cmd ||
								 m->fd_kind != r->key.fd_kind)))
			continue;
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		if (m->ioctl)
			snprintf(name, sizeof(name), "%s", m->ioctl);
		else
			snprintf(name, sizeof(name), "0x%x", m->cmd);
		snprintf(buf, sizeof(buf), "  %s  %-36s %-10s %-14s %llu call%s", when, name,
			 catalog__kind_name(m->fd_kind), top_snap__class_name(m->cls),
			 (unsigned long long)m->n, m->n == 1 ? "" : "s");
		put_line(y++, buf, A_NORMAL);
	}
}

void top_tui__draw(struct isc_top_tui *ui, const struct isc_top_info *info,
		   const struct isc_top_state *st)
{
	const struct isc_top_snap *sn = &st->cur;
	char buf[512];
	int i, y = 0, room;

	build_lines(ui, sn);
	erase();
	for (i = 0; i < ISC_TOP_HEADER_LINES; i++) {
		top__header(info, sn, i, buf, sizeof(buf));
		put_line(y++, buf, i ? A_NORMAL : A_BOLD);
	}
	y++;
	if (ui->detail) {
		draw_detail(ui, st, y);
	} else {
		top__columns(ui->sort, buf, sizeof(buf));
		put_line(y++, buf, A_REVERSE);
		room = LINES - y - 1;
		if (room < 1)
			room = 1;
		if (ui->sel < ui->scroll)
			ui->scroll = ui->sel;
		if (ui->sel >= ui->scroll + room)
			ui->scroll = ui->sel - room + 1;
		for (i = ui->scroll; i < ui->nr_lines && y < LINES - 1; i++) {
			const struct line *l = &ui->lines[i];

			top__line(sn, line_row(sn, l), l->proc, buf, sizeof(buf));
			if (l->proc)
				buf[0] = is_expanded(ui, sn->procs[l->idx].key.tgid) ? '-' : '+';
			put_line(y++, buf, i == ui->sel ? A_REVERSE : A_NORMAL);
		}
		if (!ui->nr_lines)
			put_line(y, ui->filter[0] ? "(no process matches the filter)" :
						   "(no VFIO/iommufd calls yet)", A_DIM);
	}
	if (ui->editing)
		snprintf(buf, sizeof(buf), "filter: %s_   (Enter apply, Esc cancel)", ui->edit);
	else if (ui->detail)
		snprintf(buf, sizeof(buf), "Esc/Left back  q quit");
	else
		snprintf(buf, sizeof(buf),
			 "j/k move  +/- expand  Enter detail  s sort (%s)  f filter%s%s%s  q quit",
			 top__sort_name(ui->sort), ui->filter[0] ? " [" : "", ui->filter,
			 ui->filter[0] ? "]" : "");
	put_line(LINES - 1, buf, A_REVERSE);
	refresh();
}

/* A key while editing the filter. */
static void filter_key(struct isc_top_tui *ui, int ch)
{
	size_t n = strlen(ui->edit);

	if (ch == 27) {
		ui->editing = false;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		memcpy(ui->filter, ui->edit, sizeof(ui->filter));
		ui->editing = false;
		ui->sel = ui->scroll = 0;
		ui->sel_proc = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n)
			ui->edit[n - 1] = '\0';
	} else if (ch >= 32 && ch < 127 && n < sizeof(ui->edit) - 1) {
		ui->edit[n] = (char)ch;
		ui->edit[n + 1] = '\0';
	}
}

/* A key in the list or the detail view; r is the selected line's row
 * (NULL if none). false: the user quit. */
/* The list's lines on one screen: all but the header, the blank line,
 * the column titles and the key help. */
#define PAGE_LINES (LINES - ISC_TOP_HEADER_LINES - 3)

static bool view_key(struct isc_top_tui *ui, const struct isc_top_snap *sn,
		     const struct isc_top_row *r, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case KEY_UP:
	case 'k':
		select_line(ui, sn, ui->sel - 1);
		break;
	case KEY_DOWN:
	case 'j':
		select_line(ui, sn, ui->sel + 1);
		break;
	case KEY_PPAGE:
		select_line(ui, sn, ui->sel - PAGE_LINES);
		break;
	case KEY_NPAGE:
		select_line(ui, sn, ui->sel + PAGE_LINES);
		break;
	case KEY_HOME:
		select_line(ui, sn, 0);
		break;
	case KEY_END:
		select_line(ui, sn, ui->nr_lines - 1);
		break;
	case KEY_RIGHT:
	case '+':
	case ' ':
		if (r && !ui->detail)
			set_expanded(ui, r->key.tgid, true);
		break;
	case KEY_LEFT:
	case '-':
		if (ui->detail) {
			ui->detail = false;
		} else if (r) {
			set_expanded(ui, r->key.tgid, false);
			ui->sel_proc = true;	/* back to the process line */
		}
		break;
	case 27:
		ui->detail = false;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (r) {
			select_line(ui, sn, ui->sel);
			ui->detail = !ui->detail;
		}
		break;
	case 's':
		ui->sort = (ui->sort + 1) % ISC_SORT_MAX;
		break;
	case 'S':
		ui->sort = (ui->sort + ISC_SORT_MAX - 1) % ISC_SORT_MAX;
		break;
	case 'f':
	case '/':
		ui->editing = true;
		memcpy(ui->edit, ui->filter, sizeof(ui->edit));
		break;
	case KEY_RESIZE:
	default:
		break;
	}
	return true;
}

bool top_tui__keys(struct isc_top_tui *ui, const struct isc_top_state *st)
{
	const struct isc_top_snap *sn = &st->cur;
	int ch;

	build_lines(ui, sn);
	while ((ch = getch()) != ERR) {
		const struct isc_top_row *r = NULL;

		if (ui->sel < ui->nr_lines)
			r = line_row(sn, &ui->lines[ui->sel]);
		if (ui->editing) {
			filter_key(ui, ch);
			build_lines(ui, sn);
			continue;
		}
		if (!view_key(ui, sn, r, ch))
			return false;
		build_lines(ui, sn);
		if (ui->nr_lines && ui->sel < ui->nr_lines && ch != KEY_RESIZE)
			select_line(ui, sn, ui->sel);
	}
	return true;
}
