// The Azure Storage client.
