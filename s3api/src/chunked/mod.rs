//! The aws-chunked body decoder. (being written)
