/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Published AEAD known answers, shared by the host tests (test_kat.c) and
 * the in-VM tests (tests/vmlib): RFC 8998 (SM4-GCM), RFC 8439 section
 * 2.8.2 (ChaCha20-Poly1305) and the GCM specification's test cases for
 * AES-128/192/256 (McGrew & Viega, as used by NIST's CAVP). All fields are
 * hex; the ciphertext is as long as the plaintext.
 *
 * Data in a header, like the kernel's crypto/testmgr.h: the two test
 * programs link different things (the library's sources, the installed
 * shared library), and a header needs no object in either build. Include
 * it from one file of a program only; th_kat_decode() (common.h) turns a
 * vector into bytes.
 */
#ifndef GMRK_TEST_VECTORS_H
#define GMRK_TEST_VECTORS_H

#include "common.h"	/* struct th_kat */

#define TH_GCM_P "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define TH_GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const struct th_kat th_kats[] = {
	{ "rfc8998-sm4-gcm", GMRK_CIPHER_SM4_GCM,
	  "0123456789abcdeffedcba9876543210", "00001234567800000000abcd",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
	  "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
	  "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
	  "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
	  "83de3541e4c2b58177e065a9bf7b62ec" },
	{ "rfc8439-chacha20-poly1305", GMRK_CIPHER_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
	{ "gcm-tc1-aes128-empty", GMRK_CIPHER_AES_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "gcm-tc2-aes128", GMRK_CIPHER_AES_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "",
	  "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "gcm-tc4-aes128", GMRK_CIPHER_AES_GCM,
	  "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", TH_GCM_A, TH_GCM_P,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "gcm-tc10-aes192", GMRK_CIPHER_AES_GCM,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabefacedbaddecaf888",
	  TH_GCM_A, TH_GCM_P,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
	  "2519498e80f1478f37ba55bd6d27618c" },
	{ "gcm-tc13-aes256-empty", GMRK_CIPHER_AES_GCM,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "gcm-tc14-aes256", GMRK_CIPHER_AES_GCM,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "gcm-tc16-aes256", GMRK_CIPHER_AES_GCM,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabefacedbaddecaf888", TH_GCM_A, TH_GCM_P,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

#define TH_NKATS (sizeof(th_kats) / sizeof(th_kats[0]))

#endif
