"""Independent re-checking of certificates, by arithmetic on the certificate alone.

This layer imports only :mod:`fsmf_check.model` and the standard library: it shares no code
with the engines that produced the certificates.
"""
