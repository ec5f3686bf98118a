// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which x86-64 SM4-GCM paths this CPU and OS can run. CPUID directly rather
 * than __builtin_cpu_supports(), whose list of feature names differs
 * between compilers (clang 14 has no "vaes"); the 256-bit paths also need
 * the OS to save the YMM state (XCR0 bits 1 and 2).
 */
#include <cpuid.h>

#include "sm4gcm_impl.h"

static unsigned int features(void)
{
	unsigned int a, b, c, d, f = 0;
	unsigned int lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (c & bit_AES)
		f |= SM4_CPU_AES;
	if (c & bit_PCLMUL)
		f |= SM4_CPU_PCLMUL;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return f;
	__asm__ ("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	if ((lo & 6) != 6)
		return f;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return f;
	if (b & bit_AVX2)
		f |= SM4_CPU_AVX2;
	if (c & bit_VAES)
		f |= SM4_CPU_VAES;
	if (c & bit_VPCLMULQDQ)
		f |= SM4_CPU_VPCLMULQDQ;
	return f;
}

bool sm4_cpu_has(unsigned int want)
{
	static unsigned int have;	/* 0: not probed yet */
	unsigned int f = __atomic_load_n(&have, __ATOMIC_RELAXED);

	if (!f) {
		f = features() | SM4_CPU_PROBED;
		__atomic_store_n(&have, f, __ATOMIC_RELAXED);
	}
	return (f & want) == want;
}
