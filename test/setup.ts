// Loaded by mocha before any test (.mocharc.json): the in-process CLI runs and the SDK clients
// the tests build read process.env, so no credential chain may ever fall back to a cloud
// metadata address from here (AWS IMDS, Google's metadata server).
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.METADATA_SERVER_DETECTION = 'none';
