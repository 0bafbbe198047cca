/*
 * share.c: how a row-wise pass shares its rows between its threads.
 *
 * In proportion to how fast each thread went in the last phase: the two
 * cores of a virtual machine often run at different speeds when both
 * are busy, and an equal split waits for the slower one (forward.c).
 */
#include "embed.h"

void emb_share_rows(const double *rate, int nt, int rows, int tid,
		    int *r0, int *r1)
{
	double share[EMB_MAX_THREADS], sum = 0, acc = 0;
	int prev = 0;

	*r0 = *r1 = 0;
	if (nt < 1 || nt > EMB_MAX_THREADS)
		return;
	for (int t = 0; t < nt; t++)
		sum += rate[t] > 0 ? rate[t] : 0;
	/* no rate (a thread had no rows, or the first phase): equal shares;
	 * a floor so that a thread that stalled once still gets rows, and
	 * so a rate to go by next time */
	for (int t = 0; t < nt; t++) {
		double f = sum > 0 ? (rate[t] > 0 ? rate[t] : 0) / sum : 1.0 / nt;
		share[t] = f > 0.25 / nt ? f : 0.25 / nt;
	}
	sum = 0;
	for (int t = 0; t < nt; t++)
		sum += share[t];
	for (int t = 0; t < nt; t++) {
		acc += share[t] / sum;
		int cut = t == nt - 1 ? rows :
			  (int)(acc * rows / EMB_SHARE_STEP + 0.5) * EMB_SHARE_STEP;
		cut = cut < prev ? prev : cut > rows ? rows : cut;
		if (t == tid) {
			*r0 = prev;
			*r1 = cut;
		}
		prev = cut;
	}
}
