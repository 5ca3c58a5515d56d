/* The wire protocols the mock satellites decode: a leaf, so that the
 * decoders (satellite/protocols/) need nothing else of the satellites. */
#ifndef TRACEBENCH_SATELLITE_PROTOCOL_H
#define TRACEBENCH_SATELLITE_PROTOCOL_H

/* The wire protocols, as counted separately in the stats. */
typedef enum tb_satellite_protocol {
    TB_PROTO_LIGHTSTEP = 0,  /* POST /api/v2/reports, protobuf */
    TB_PROTO_LIGHTSTEP_JSON, /* POST /api/v0/reports, JSON */
    TB_PROTO_OTLP,           /* POST /v1/traces, protobuf */
    TB_PROTO_OTLP_JSON,      /* POST /v1/traces, JSON */
    TB_PROTO_ZIPKIN,         /* POST /api/v2/spans, JSON */
    TB_PROTO_DATADOG,        /* PUT/POST /v0.3/traces, /v0.4/traces */
    TB_PROTO__COUNT
} tb_satellite_protocol;

#endif
