// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Progress bar for gmrk seal/open: on stderr, only when stderr is a
 * terminal and the input is large enough for it to matter (16 MiB), at
 * most ten redraws a second.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define PROGRESS_MIN	(16ull << 20)
#define PROGRESS_WIDTH	30

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void draw(struct cli_progress *p)
{
	double secs = (double)(now_ns() - p->start_ns) / 1e9;
	unsigned int pct = p->total ? (unsigned int)(p->done * 100 / p->total) : 100;
	unsigned int fill = pct * PROGRESS_WIDTH / 100, i;
	char bar[PROGRESS_WIDTH + 1];

	for (i = 0; i < PROGRESS_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[PROGRESS_WIDTH] = '\0';
	fprintf(stderr, "\r%s [%s] %3u%%  %.1f MiB/s ", p->what, bar, pct,
		secs > 0 ? (double)p->done / secs / (1 << 20) : 0.0);
}

void cli_progress_start(struct cli_progress *p, const char *what, uint64_t total)
{
	p->on = total >= PROGRESS_MIN && isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	p->done = 0;
	p->start_ns = p->last_ns = now_ns();
}

void cli_progress_add(struct cli_progress *p, uint64_t n)
{
	uint64_t t;

	p->done += n;
	if (!p->on)
		return;
	t = now_ns();
	if (t - p->last_ns < 100000000ull)
		return;
	p->last_ns = t;
	draw(p);
}

void cli_progress_end(struct cli_progress *p)
{
	if (!p->on)
		return;
	draw(p);
	fputc('\n', stderr);
}
