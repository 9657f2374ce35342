// Command pod-security judges pod templates with the upstream Pod Security
// admission checks (k8s.io/pod-security-admission), the code the API server
// runs, without an API server.
//
// Input, one JSON object per line on stdin:
//
//	{"id": "...", "level": "baseline", "version": "v1.33", "metadata": {...}, "spec": {...}}
//
// Output, one line per input, in order:
//
//	{"id": "...", "allowed": false, "reasons": ["host namespaces (hostNetwork=true)", ...]}
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type request struct {
	ID       string            `json:"id"`
	Level    string            `json:"level"`
	Version  string            `json:"version"`
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     corev1.PodSpec    `json:"spec"`
}

type response struct {
	ID      string   `json:"id"`
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons,omitempty"`
	Error   string   `json:"error,omitempty"`
}

func main() {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		res := response{}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			res.Error = err.Error()
		} else {
			res.ID = req.ID
			res.Allowed, res.Reasons, err = judge(evaluator, req)
			if err != nil {
				res.Error = err.Error()
			}
		}
		if err := out.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

func judge(evaluator policy.Evaluator, req request) (bool, []string, error) {
	level, err := api.ParseLevel(req.Level)
	if err != nil {
		return false, nil, err
	}
	version, err := api.ParseVersion(req.Version)
	if err != nil {
		return false, nil, err
	}
	agg := policy.AggregateCheckResults(evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, &req.Metadata, &req.Spec))
	var reasons []string
	for i, r := range agg.ForbiddenReasons {
		if d := agg.ForbiddenDetails[i]; d != "" {
			r += " (" + d + ")"
		}
		reasons = append(reasons, r)
	}
	return agg.Allowed, reasons, nil
}
