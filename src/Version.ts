/** This package's version; a test keeps it equal to package.json's. */
export const version = "0.1.0"

/** The `User-Agent` every request carries. */
export const userAgent = `Aleph-Alpha-TS-Client-${version}`
