package gcpsim

import "os"

// GcloudEnv returns the environment for a gcloud command that talks to this
// emulator, started at url, and nothing else: the environment of the
// process without its CLOUDSDK_* and GOOGLE_* settings, plus a fresh
// configuration directory (configDir, which should be empty), an access
// token read from tokenFile (any text: the emulator checks no credential),
// the project served, no prompts, no usage reporting and no update check.
//
// gcloud (528) reaches Compute at CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE,
// which must end in /compute/v1/.
func (s *Server) GcloudEnv(url, configDir, tokenFile string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !hasAnyPrefix(kv, "CLOUDSDK_", "GOOGLE_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"CLOUDSDK_CONFIG="+configDir,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="+url+"/compute/v1/",
		"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+tokenFile,
		"CLOUDSDK_CORE_PROJECT="+s.opts.Project,
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
	)
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}
