package route53sim

import (
	"encoding/xml"
	"strings"
	"time"
)

// ns is the XML namespace of the 2013-04-01 API.
const ns = "https://route53.amazonaws.com/doc/2013-04-01/"

// timeFormat is the ISO 8601 form the API writes timestamps in.
const timeFormat = "2006-01-02T15:04:05.000Z"

// Request bodies. Element order never matters to encoding/xml, so the
// SDK's alphabetical order and the documentation's order both parse.

type xmlChangeRequest struct {
	XMLName     xml.Name        `xml:"ChangeResourceRecordSetsRequest"`
	ChangeBatch *xmlChangeBatch `xml:"ChangeBatch"`
}

type xmlChangeBatch struct {
	Changes *struct {
		Change []xmlChange `xml:"Change"`
	} `xml:"Changes"`
	Comment *string `xml:"Comment"`
}

type xmlChange struct {
	Action            *string `xml:"Action"`
	ResourceRecordSet *xmlRRS `xml:"ResourceRecordSet"`
}

// xmlRRS is a ResourceRecordSet on the wire, in both directions. The field
// order is the order the API answers with.
type xmlRRS struct {
	Name                    *string          `xml:"Name"`
	Type                    *string          `xml:"Type"`
	SetIdentifier           *string          `xml:"SetIdentifier,omitempty"`
	Weight                  *int64           `xml:"Weight,omitempty"`
	Region                  *string          `xml:"Region,omitempty"`
	GeoLocation             *xmlGeo          `xml:"GeoLocation,omitempty"`
	Failover                *string          `xml:"Failover,omitempty"`
	MultiValueAnswer        *bool            `xml:"MultiValueAnswer,omitempty"`
	TTL                     *int64           `xml:"TTL,omitempty"`
	ResourceRecords         *xmlRecords      `xml:"ResourceRecords,omitempty"`
	AliasTarget             *xmlAlias        `xml:"AliasTarget,omitempty"`
	HealthCheckId           *string          `xml:"HealthCheckId,omitempty"`
	TrafficPolicyInstanceId *string          `xml:"TrafficPolicyInstanceId,omitempty"`
	CidrRoutingConfig       *xmlCidr         `xml:"CidrRoutingConfig,omitempty"`
	GeoProximityLocation    *xmlGeoProximity `xml:"GeoProximityLocation,omitempty"`
}

type xmlRecords struct {
	ResourceRecord []struct {
		Value *string `xml:"Value"`
	} `xml:"ResourceRecord"`
}

type xmlAlias struct {
	HostedZoneId         *string `xml:"HostedZoneId"`
	DNSName              *string `xml:"DNSName"`
	EvaluateTargetHealth *bool   `xml:"EvaluateTargetHealth"`
}

type xmlGeo struct {
	ContinentCode   *string `xml:"ContinentCode,omitempty"`
	CountryCode     *string `xml:"CountryCode,omitempty"`
	SubdivisionCode *string `xml:"SubdivisionCode,omitempty"`
}

type xmlCidr struct {
	CollectionId *string `xml:"CollectionId"`
	LocationName *string `xml:"LocationName"`
}

type xmlGeoProximity struct {
	AWSRegion      *string `xml:"AWSRegion,omitempty"`
	LocalZoneGroup *string `xml:"LocalZoneGroup,omitempty"`
	Coordinates    *struct {
		Latitude  *string `xml:"Latitude"`
		Longitude *string `xml:"Longitude"`
	} `xml:"Coordinates,omitempty"`
	Bias *int64 `xml:"Bias,omitempty"`
}

// Responses.

type xmlChangeInfo struct {
	Id          string  `xml:"Id"`
	Status      string  `xml:"Status"`
	SubmittedAt string  `xml:"SubmittedAt"`
	Comment     *string `xml:"Comment,omitempty"`
}

type changeResponse struct {
	XMLName    xml.Name      `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ChangeResourceRecordSetsResponse"`
	ChangeInfo xmlChangeInfo `xml:"ChangeInfo"`
}

type getChangeResponse struct {
	XMLName    xml.Name      `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetChangeResponse"`
	ChangeInfo xmlChangeInfo `xml:"ChangeInfo"`
}

type listRRSResponse struct {
	XMLName              xml.Name  `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListResourceRecordSetsResponse"`
	ResourceRecordSets   []*xmlRRS `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated          bool      `xml:"IsTruncated"`
	NextRecordName       *string   `xml:"NextRecordName,omitempty"`
	NextRecordType       *string   `xml:"NextRecordType,omitempty"`
	NextRecordIdentifier *string   `xml:"NextRecordIdentifier,omitempty"`
	MaxItems             int       `xml:"MaxItems"`
}

type xmlHostedZone struct {
	Id              string `xml:"Id"`
	Name            string `xml:"Name"`
	CallerReference string `xml:"CallerReference"`
	Config          struct {
		Comment     string `xml:"Comment,omitempty"`
		PrivateZone bool   `xml:"PrivateZone"`
	} `xml:"Config"`
	ResourceRecordSetCount int `xml:"ResourceRecordSetCount"`
}

type listZonesByNameResponse struct {
	XMLName          xml.Name         `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesByNameResponse"`
	HostedZones      []*xmlHostedZone `xml:"HostedZones>HostedZone"`
	DNSName          string           `xml:"DNSName,omitempty"`
	HostedZoneId     string           `xml:"HostedZoneId,omitempty"`
	IsTruncated      bool             `xml:"IsTruncated"`
	NextDNSName      string           `xml:"NextDNSName,omitempty"`
	NextHostedZoneId string           `xml:"NextHostedZoneId,omitempty"`
	MaxItems         int              `xml:"MaxItems"`
}

type listZonesResponse struct {
	XMLName     xml.Name         `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesResponse"`
	HostedZones []*xmlHostedZone `xml:"HostedZones>HostedZone"`
	Marker      string           `xml:"Marker,omitempty"`
	IsTruncated bool             `xml:"IsTruncated"`
	NextMarker  string           `xml:"NextMarker,omitempty"`
	MaxItems    int              `xml:"MaxItems"`
}

type getZoneResponse struct {
	XMLName       xml.Name       `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHostedZoneResponse"`
	HostedZone    *xmlHostedZone `xml:"HostedZone"`
	DelegationSet *struct {
		NameServers []string `xml:"NameServers>NameServer"`
	} `xml:"DelegationSet,omitempty"`
	VPCs *struct {
		VPC []struct {
			VPCRegion string `xml:"VPCRegion"`
			VPCId     string `xml:"VPCId"`
		} `xml:"VPC"`
	} `xml:"VPCs,omitempty"`
}

type xmlObservation struct {
	Region       string `xml:"Region"`
	IPAddress    string `xml:"IPAddress"`
	StatusReport struct {
		Status      string `xml:"Status"`
		CheckedTime string `xml:"CheckedTime"`
	} `xml:"StatusReport"`
}

type healthStatusResponse struct {
	XMLName      xml.Name          `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHealthCheckStatusResponse"`
	Observations []*xmlObservation `xml:"HealthCheckObservations>HealthCheckObservation"`
}

type xmlErrorResponse struct {
	XMLName xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestId string `xml:"RequestId"`
}

type xmlInvalidChangeBatch struct {
	XMLName   xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ InvalidChangeBatch"`
	Messages  []string `xml:"Messages>Message"`
	RequestId string   `xml:"RequestId"`
}

// toWire renders a stored set as the API answers with it.
func toWire(r *RecordSet) *xmlRRS {
	w := &xmlRRS{Name: ptr(r.Name), Type: ptr(r.Type), Weight: clonePtr(r.Weight), TTL: clonePtr(r.TTL),
		MultiValueAnswer: clonePtr(r.MultiValueAnswer)}
	w.SetIdentifier = nonEmpty(r.SetIdentifier)
	w.Region = nonEmpty(r.Region)
	w.Failover = nonEmpty(r.Failover)
	w.HealthCheckId = nonEmpty(r.HealthCheckId)
	w.TrafficPolicyInstanceId = nonEmpty(r.TrafficPolicyInstanceId)
	if g := r.GeoLocation; g != nil {
		w.GeoLocation = &xmlGeo{nonEmpty(g.ContinentCode), nonEmpty(g.CountryCode), nonEmpty(g.SubdivisionCode)}
	}
	if len(r.ResourceRecords) > 0 {
		w.ResourceRecords = &xmlRecords{}
		for _, v := range r.ResourceRecords {
			w.ResourceRecords.ResourceRecord = append(w.ResourceRecords.ResourceRecord, struct {
				Value *string `xml:"Value"`
			}{ptr(v)})
		}
	}
	if a := r.AliasTarget; a != nil {
		w.AliasTarget = &xmlAlias{ptr(a.HostedZoneId), ptr(a.DNSName), ptr(a.EvaluateTargetHealth)}
	}
	if c := r.CidrRoutingConfig; c != nil {
		w.CidrRoutingConfig = &xmlCidr{ptr(c.CollectionId), ptr(c.LocationName)}
	}
	if g := r.GeoProximityLocation; g != nil {
		x := &xmlGeoProximity{AWSRegion: nonEmpty(g.AWSRegion), LocalZoneGroup: nonEmpty(g.LocalZoneGroup), Bias: clonePtr(g.Bias)}
		if g.Latitude != "" || g.Longitude != "" {
			x.Coordinates = &struct {
				Latitude  *string `xml:"Latitude"`
				Longitude *string `xml:"Longitude"`
			}{ptr(g.Latitude), ptr(g.Longitude)}
		}
		w.GeoProximityLocation = x
	}
	return w
}

// fromWire converts a request's set without validating it.
func fromWire(w *xmlRRS) RecordSet {
	r := RecordSet{
		Name: deref(w.Name), Type: deref(w.Type), SetIdentifier: deref(w.SetIdentifier),
		Weight: w.Weight, TTL: w.TTL, MultiValueAnswer: w.MultiValueAnswer,
		Region: deref(w.Region), Failover: deref(w.Failover), HealthCheckId: deref(w.HealthCheckId),
		TrafficPolicyInstanceId: deref(w.TrafficPolicyInstanceId),
	}
	if g := w.GeoLocation; g != nil {
		r.GeoLocation = &GeoLocation{deref(g.ContinentCode), deref(g.CountryCode), deref(g.SubdivisionCode)}
	}
	if w.ResourceRecords != nil {
		r.ResourceRecords = []string{}
		for _, rr := range w.ResourceRecords.ResourceRecord {
			r.ResourceRecords = append(r.ResourceRecords, deref(rr.Value))
		}
	}
	if a := w.AliasTarget; a != nil {
		r.AliasTarget = &AliasTarget{deref(a.HostedZoneId), deref(a.DNSName), a.EvaluateTargetHealth != nil && *a.EvaluateTargetHealth}
	}
	if c := w.CidrRoutingConfig; c != nil {
		r.CidrRoutingConfig = &CidrRoutingConfig{deref(c.CollectionId), deref(c.LocationName)}
	}
	if g := w.GeoProximityLocation; g != nil {
		x := &GeoProximityLocation{AWSRegion: deref(g.AWSRegion), LocalZoneGroup: deref(g.LocalZoneGroup), Bias: g.Bias}
		if g.Coordinates != nil {
			x.Latitude, x.Longitude = deref(g.Coordinates.Latitude), deref(g.Coordinates.Longitude)
		}
		r.GeoProximityLocation = x
	}
	return r
}

func ptr[T any](v T) *T { return &v }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// bareID strips everything up to the last '/' ("/hostedzone/Z1" -> "Z1"),
// as the SDK does before it sends an id.
func bareID(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
