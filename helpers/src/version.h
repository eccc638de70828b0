/* version.h: the helper's version, printed by `skiff-helper version`. */
#ifndef SKIFF_VERSION_H
#define SKIFF_VERSION_H

#define SKIFF_HELPER_VERSION "0.1.0"

#endif
