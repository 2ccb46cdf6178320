package trinet

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"trinetsync/internal/jsonscan"
)

const pageRecord = `{"employeeId":"00001234","names":[{"nameType":"primary","firstName":"Ada","middleName":"","lastName":"Lovelace"}],
	"biographicalInfo":{"gender":"F","birthDate":"1990-12-10","ethnicity":"WHITE","maritalStatus":"S","country":"US"},
	"employmentInfo":{"employmentStatus":"A","startDate":"2024-01-08","businessTitle":"Engineer","employeeType":"F","flsaCode":"T",
	"standardHours":"40","workEmail":"ada@example.com","workPhone":"+14155550100","customGroupA":"","customGroupB":"",
	"location":{"locationId":"SF1","locationName":"San Francisco"},"department":{"deptId":"D100","deptName":"Engineering"},
	"supervisor":{"supervisorId":"00001000","supervisorName":"Grace Hopper"}}}`

// employeePages are pages of every kind; fast says whether the walk should
// read it (else json.Unmarshal does).
var employeePages = []struct {
	name string
	json string
	fast bool
}{
	{"profile example", `{"data":{"hasMore":true,"employeeData":[` + pageRecord + `,` + pageRecord + `]},"_statusCode":"200","_requestId":"r1"}`, true},
	{"empty", `{"data":{"hasMore":false,"employeeData":[]}}`, true},
	{"nulls", `{"data":{"hasMore":null,"employeeData":[null,{"employeeId":"A","names":null,"biographicalInfo":null,"employmentInfo":{"location":null,"standardHours":null}}]},"_statusMessage":null}`, true},
	{"numbers and booleans as strings", `{"data":{"hasMore":"true","employeeData":[{"employeeId":7,"employmentInfo":{"standardHours":37.5,"customGroupA":true,"department":{"deptId":100}}}]},"_statusCode":200}`, true},
	{"keys in other cases, escaped, repeated", `{"DATA":{"HasMore":false,"employeedata":[{"EMPLOYEEID":"A","\u0065mployeeId":"B","Names":[{"FIRSTNAME":"x"}],` +
		`"biographicalInfo":{"gender":"F"},"biographicalInfo":{"country":"US"},"employmentInfo":{"location":{"locationId":"L"},"location":{"locationName":"N"}}}]}}`, true},
	{"unknown fields", `{"data":{"hasMore":false,"extra":[1,{"a":"]"}],"employeeData":[{"employeeId":"A","future":{"x":null}}]},"more":1e5}`, true},
	{"escapes and odd bytes", "{\"data\":{\"employeeData\":[{\"employeeId\":\"a\\u0031\",\"names\":[{\"lastName\":\"O\\u2019Brien \xff\"}]}]}}", true},
	{"a null page", `null`, true},

	{"a repeated list", `{"data":{"employeeData":[{"employeeId":"A"}],"employeeData":[{"names":[]}]}}`, false},
	{"repeated names", `{"data":{"employeeData":[{"employeeId":"A","names":[{"firstName":"a"}],"names":null}]}}`, false},
	{"data a list", `{"data":[]}`, false},
	{"employeeData an object", `{"data":{"employeeData":{"employeeId":"A"}}}`, false},
	{"an employee a string", `{"data":{"employeeData":["A"]}}`, false},
	{"a name an object", `{"data":{"employeeData":[{"employeeId":{"id":"A"}}]}}`, false},
	{"hasMore not a boolean", `{"data":{"hasMore":"maybe","employeeData":[]}}`, false},
	{"a block a string", `{"data":{"employeeData":[{"employeeId":"A","employmentInfo":"x"}]}}`, false},
	{"not an object", `[]`, false},
	{"not JSON", `{"data":{"employeeData":[}}`, false},
}

// TestFastEmployeePageMatchesUnmarshal: the walk reads what json.Unmarshal
// reads, and leaves to it what it is not sure of.
func TestFastEmployeePageMatchesUnmarshal(t *testing.T) {
	for _, tt := range employeePages {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.json)
			var fast envelope[wireEmployeePage]
			ok := jsonscan.Valid(b) && fastEmployeePage(b, &fast) == nil
			if ok != tt.fast {
				t.Fatalf("walked: %t, want %t", ok, tt.fast)
			}
			samePage(t, b)
		})
	}
}

// samePage: decodeEmployeePage answers what json.Unmarshal answers, and
// whenever the walk reads a page, it reads what json.Unmarshal reads.
func samePage(t *testing.T, b []byte) {
	t.Helper()
	var want envelope[wireEmployeePage]
	wantErr := json.Unmarshal(b, &want)
	var fast envelope[wireEmployeePage]
	if jsonscan.Valid(b) && fastEmployeePage(b, &fast) == nil {
		if wantErr != nil {
			t.Fatalf("%.200q: the walk read a page json.Unmarshal refuses (%v)", b, wantErr)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%.200q:\nwalk           %+v\njson.Unmarshal %+v", b, fast, want)
		}
	}
	var got envelope[wireEmployeePage]
	err := decodeEmployeePage(b, &got)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%.200q: error %v, json.Unmarshal %v", b, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q: decodeEmployeePage differs from json.Unmarshal", b)
	}
}

func FuzzFastEmployeePage(f *testing.F) {
	for _, p := range employeePages {
		f.Add(p.json)
	}
	f.Add(strings.Repeat(`{"data":`, 50))
	f.Fuzz(func(t *testing.T, s string) { samePage(t, []byte(s)) })
}
