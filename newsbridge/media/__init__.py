"""Media exchange: blobs (filesystem, S3), uploads (tus), probing, derivative jobs, signed URLs."""
