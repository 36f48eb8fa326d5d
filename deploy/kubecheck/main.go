// Command kubecheck decodes rendered Kubernetes manifests (multi-document YAML on stdin) the way the API
// server does with strict field validation: an unknown or duplicated field, or a value of the wrong type,
// is an error. Kinds outside the built-in API groups (e.g. ServiceMonitor) are listed as skipped; the
// Node checks validate those against their schemas.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

func main() {
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	checked, failed := 0, 0
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "document %d: %v\n", index, err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		_, gvk, err := decoder.Decode(doc, nil, nil)
		switch {
		case err != nil && runtime.IsNotRegisteredError(err):
			fmt.Printf("skipped %s (not a built-in kind)\n", kindOf(doc))
		case err != nil:
			failed++
			fmt.Printf("FAIL document %d (%s): %v\n", index, gvk, err)
		default:
			checked++
		}
	}
	fmt.Printf("kubecheck: %d objects decoded strictly, %d failed\n", checked, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// kindOf names a document's apiVersion and kind for messages.
func kindOf(doc []byte) string {
	data, err := utilyaml.ToJSON(doc)
	if err != nil {
		return "unknown kind"
	}
	gvk, err := json.DefaultMetaFactory.Interpret(data)
	if err != nil {
		return "unknown kind"
	}
	return gvk.String()
}

// stripComments drops comment-only lines, so a document holding only "# Source: ..." counts as empty.
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 && trimmed[0] != '#' {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
