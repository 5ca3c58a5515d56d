/* Which decoder reads which protocol. */
#include "protocols.h"

tb__decode_fn tb__protocol_decoder(tb_satellite_protocol proto)
{
    static const tb__decode_fn decoders[TB_PROTO__COUNT] = {
        [TB_PROTO_LIGHTSTEP] = tb__decode_lightstep,
        [TB_PROTO_LIGHTSTEP_JSON] = tb__decode_lightstep_json,
        [TB_PROTO_OTLP] = tb__decode_otlp,
        [TB_PROTO_OTLP_JSON] = tb__decode_otlp_json,
        [TB_PROTO_ZIPKIN] = tb__decode_zipkin,
        [TB_PROTO_DATADOG] = tb__decode_datadog,
    };

    if ((unsigned)proto >= TB_PROTO__COUNT)
        return NULL;
    return decoders[proto];
}
