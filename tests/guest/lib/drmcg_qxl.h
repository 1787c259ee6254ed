/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening the guest's qxl GPU for the C guest tests.
 */
#ifndef DRMCG_QXL_H
#define DRMCG_QXL_H

#include <drm/qxl_drm.h>

#include "drmcg_drm.h"

/*
 * Opens the qxl device as DRM master (qxl lets only the master allocate)
 * and stores its key in @card[@len]. Returns the fd, or -1.
 */
static DRMCG_TEST_UNUSED int qxl_open(char *card, size_t len)
{
	return drm_open_driver("qxl", card, len);
}

#endif /* DRMCG_QXL_H */
