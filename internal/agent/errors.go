package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/s1crets/s1crets"
)

// storeError is a failed lookup as the AWS services answer it: the HTTP
// status and a JSON 1.1 error body.
type storeError struct {
	Status  int    `json:"-"`
	Code    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// The interfaces of the AWS SDK's errors (smithy-go's APIError and the
// SDK's HTTP response error), matched by method so that this package needs
// no import of the SDK.
type (
	apiError interface {
		ErrorCode() string
		ErrorMessage() string
	}
	statusCoder interface{ HTTPStatusCode() int }
)

// internalFailure is the answer to a failure that is not the store's: the
// body holds no detail, as the AWS agent's.
var internalFailure = storeError{Status: http.StatusInternalServerError, Code: "InternalFailure"}

// errorOf maps an error of a lookup in the store named provider to the
// answer: the store's own code, message and status when the store answered;
// its not-found code for s1crets.ErrNotFound (so that the memory provider
// answers as the store it stands in for); 504 for a timeout, 502 for a lost
// connection, else 500 InternalFailure. The store's messages for reads name
// the secret, never its value; the library's errors never hold a value.
func errorOf(provider string, err error) storeError {
	var ae apiError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		status := http.StatusBadRequest
		var sc statusCoder
		if errors.As(err, &sc) && sc.HTTPStatusCode() >= 400 {
			status = sc.HTTPStatusCode()
		}
		return storeError{Status: status, Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	var se *s1crets.Error
	var ne net.Error
	switch {
	case errors.As(err, &se) && se.Op == "lookup" && errors.Is(err, s1crets.ErrNotFound):
		return storeError{Status: http.StatusNotFound, Code: "KeyPathNotFound", Message: se.Error()}
	case errors.Is(err, s1crets.ErrNotFound):
		if provider == ParameterStore {
			return storeError{Status: http.StatusBadRequest, Code: "ParameterNotFound", Message: "Parameter not found."}
		}
		return storeError{Status: http.StatusBadRequest, Code: "ResourceNotFoundException",
			Message: "Secrets Manager can't find the specified secret."}
	case errors.Is(err, s1crets.ErrInvalid):
		code := "InvalidParameterException"
		if provider == ParameterStore {
			code = "ValidationException"
		}
		return storeError{Status: http.StatusBadRequest, Code: code, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return storeError{Status: http.StatusGatewayTimeout, Code: "TimeoutError", Message: "Timeout"}
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET):
		return storeError{Status: http.StatusBadGateway, Code: "ConnectionError", Message: "Read Error"}
	}
	return internalFailure
}

// body is the JSON 1.1 error body.
func (e storeError) body() []byte {
	b, err := json.Marshal(e)
	if err != nil { // two strings: cannot happen
		return []byte(`{"__type":"InternalFailure"}`)
	}
	return b
}
