import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.alibaba.fastjson2.JSON;
import com.alibaba.otter.canal.client.adapter.support.Dml;
import com.alibaba.otter.canal.client.adapter.support.JdbcTypeUtil;
import com.alibaba.otter.canal.client.adapter.support.MessageUtil;
import com.alibaba.otter.canal.connector.core.consumer.CommonMessage;
import com.alibaba.otter.canal.protocol.FlatMessage;

/**
 * CanalView reads Ferry message bodies (one file each) with Canal 1.1.7's own client classes and
 * prints what a Canal consumer does with them, as one JSON line prefixed "CANALVIEW ":
 * the DDL statements Canal's RDB adapter runs (RdbSyncService/RdbMirrorDbSyncService run a
 * message's sql when isDdl and sql is not empty), the TRUNCATEs its DML path runs
 * (SingleDml.dml2SingleDmls: a message without data of type TRUNCATE), the rows, the messages
 * with a top-level gtid, and every value JdbcTypeUtil.typeConvert fails to convert by its sqlType.
 */
public class CanalView {
    public static void main(String[] args) throws Exception {
        List<String> ddlRuns = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        int truncates = 0, rows = 0, gtids = 0;
        for (String f : args) {
            byte[] body = Files.readAllBytes(Paths.get(f));
            FlatMessage fm = JSON.parseObject(body, FlatMessage.class); // canal.client, flatMessage=true
            CommonMessage cm = JSON.parseObject(body, CommonMessage.class); // the client adapters' consumer
            Dml dml = MessageUtil.flatMessage2Dml("example", "g1", cm);
            if (fm.getGtid() != null && !fm.getGtid().isEmpty()) {
                gtids++;
            }
            if (dml.getIsDdl() != null && dml.getIsDdl() && dml.getSql() != null && !dml.getSql().isEmpty()) {
                ddlRuns.add(dml.getSql());
                continue;
            }
            if (dml.getData() == null) {
                if ("TRUNCATE".equalsIgnoreCase(dml.getType())) {
                    truncates++;
                }
                continue;
            }
            for (Map<String, String> row : fm.getData()) {
                rows++;
                for (Map.Entry<String, String> e : row.entrySet()) {
                    String col = e.getKey(), val = e.getValue();
                    int sqlType = fm.getSqlType().get(col);
                    String mysqlType = fm.getMysqlType().get(col);
                    Object v = JdbcTypeUtil.typeConvert(fm.getTable(), col, val, sqlType, mysqlType);
                    boolean text = sqlType == Types.CHAR || sqlType == Types.VARCHAR || sqlType == Types.LONGVARCHAR
                                   || sqlType == Types.CLOB;
                    if (val != null && !text && v instanceof String) { // typeConvert returns the text when it fails
                        failures.add(col + " " + mysqlType + " " + sqlType + " " + val);
                    }
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ddlRuns", ddlRuns);
        out.put("truncates", truncates);
        out.put("rows", rows);
        out.put("gtids", gtids);
        out.put("messages", args.length);
        out.put("convertFailures", failures);
        System.out.println("CANALVIEW " + JSON.toJSONString(out));
    }
}
