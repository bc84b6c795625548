#ifndef BLOBFLOW_CLIBXML2_SHIM_H
#define BLOBFLOW_CLIBXML2_SHIM_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>

/// Parser options blobflow always uses: no entity substitution, no DTD loading, no network,
/// no huge-text relaxation, errors and warnings silenced (they are reported as values instead).
static inline int blobflow_xml_safe_options(void) {
    return XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
}

/// A generic error handler that swallows libxml2's messages instead of printing to stderr.
static inline void blobflow_xml_silence_errors(void) {
    xmlSetGenericErrorFunc(NULL, NULL);
}

#endif
